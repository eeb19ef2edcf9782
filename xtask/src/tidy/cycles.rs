//! Import cycles in a directed graph: its strongly connected components (Tarjan), and the
//! shortest cycle through the smallest node of each, so a report names real edges.

use std::collections::VecDeque;

/// One cycle through every strongly connected component of more than one node of the graph
/// with nodes `0..n` and `edges` (`(from, to)`; self-loops are ignored). Each cycle starts
/// at its component's smallest node and lists the nodes in edge order, without repeating
/// the first at the end; cycles are ordered by their first node.
pub fn cycles(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b && !succ[a].contains(&b) {
            succ[a].push(b);
        }
    }
    for s in &mut succ {
        s.sort_unstable();
    }
    let mut found: Vec<Vec<usize>> = components(&succ)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| shortest_cycle(&succ, &c))
        .collect();
    found.sort();
    found
}

/// Tarjan's strongly connected components, iteratively (no recursion depth to worry about).
fn components(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = succ.len();
    let (mut index, mut low) = (vec![UNSEEN; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut out) = (Vec::new(), Vec::new());
    let mut next = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // Each frame: a node and how many of its successors have been looked at.
        let mut frames = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut k)) = frames.last_mut() {
            if let Some(&w) = succ[v].get(*k) {
                *k += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort_unstable();
                out.push(comp);
            }
        }
    }
    out
}

/// The shortest cycle through the smallest node of `comp`, staying inside `comp`.
fn shortest_cycle(succ: &[Vec<usize>], comp: &[usize]) -> Vec<usize> {
    let start = comp[0];
    let mut parent = vec![usize::MAX; succ.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &succ[v] {
            if w == start {
                let mut path = vec![v];
                while let Some(&last) = path.last() {
                    if last == start {
                        break;
                    }
                    path.push(parent[last]);
                }
                path.reverse();
                return path;
            }
            if parent[w] == usize::MAX && comp.binary_search(&w).is_ok() {
                parent[w] = v;
                queue.push_back(w);
            }
        }
    }
    // A component of more than one node always has a cycle through each of its nodes.
    unreachable!("no cycle through {start} in its strongly connected component {comp:?}")
}

#[cfg(test)]
mod tests {
    use super::cycles;

    #[test]
    fn a_dag_has_no_cycle() {
        // lib -> {a, b}, a -> c, b -> c, c -> d: a diamond and a tail.
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)];
        assert!(cycles(5, &edges).is_empty());
    }

    #[test]
    fn self_loops_and_duplicate_edges_are_not_cycles() {
        assert!(cycles(2, &[(0, 0), (0, 1), (0, 1)]).is_empty());
    }

    #[test]
    fn a_two_file_cycle_is_found() {
        // chart (1) <-> report (2), both reached from lib (0).
        let edges = [(0, 1), (0, 2), (1, 2), (2, 1), (2, 3)];
        assert_eq!(cycles(4, &edges), vec![vec![1, 2]]);
    }

    #[test]
    fn the_shortest_cycle_of_each_component_is_reported() {
        // Component {0, 1, 2, 3}: 0 -> 1 -> 2 -> 3 -> 0 and the shortcut 0 -> 3;
        // a second component {5, 6}; 4 hangs off the first.
        let edges = [
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 0),
            (0, 3),
            (3, 4),
            (4, 5),
            (5, 6),
            (6, 5),
        ];
        assert_eq!(cycles(7, &edges), vec![vec![0, 3], vec![5, 6]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 100_000;
        let mut edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        assert!(cycles(n, &edges).is_empty());
        edges.push((n - 1, 0));
        assert_eq!(cycles(n, &edges)[0].len(), n);
    }
}
