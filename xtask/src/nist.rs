//! `cargo xtask nist`: writes the generated part of docs/RELIABILITY.md's "Numerical accuracy"
//! section, between its `<!-- nist:begin -->` and `<!-- nist:end -->` markers: our LREs on
//! NIST's StRD (the ignored test `lre_table` of `crates/ml-pipeline/tests/nist_strd.rs`, one
//! column per ISA) beside numpy's and statsmodels' (`benches/python/nist_peers.py`, run in
//! the venv of [`venv`]). The prose outside the markers is left as it is.

use crate::cmd::{cargo, root, stdout_of};
use crate::venv;
use simd_kernels::ISA_ENV_VAR;
use std::fmt::Write as _;
use std::process::Command;

const DOC: &str = "docs/RELIABILITY.md";
const BEGIN: &str = "<!-- nist:begin -->";
const END: &str = "<!-- nist:end -->";

pub fn run() -> Result<(), String> {
    let root = root();
    let strd = root.join("../shared/nist-strd");
    if !strd.is_dir() {
        return Err(format!("nist: no StRD folder at {}", strd.display()));
    }
    let ours = stdout_of(
        "nist",
        "ours",
        cargo()
            .args(["test", "-p", "ml-pipeline", "--test", "nist_strd", "--"])
            .args(["--ignored", "--exact", "lre_table", "--nocapture"])
            // Every ISA the CPU has gets its column, whatever cap the caller's shell sets.
            .env_remove(ISA_ENV_VAR)
            .env("NIST_LRE_TSV", "1"),
    )?;
    let python = venv::python("nist")?;
    let peers = stdout_of(
        "nist",
        "peers",
        venv::single_threaded(
            Command::new(python)
                .arg(root.join("benches/python/nist_peers.py"))
                .arg(&strd),
        ),
    )?;
    let section = render(&records(&ours), &records(&peers))?;
    let path = root.join(DOC);
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("nist: {DOC}: {e}"))?;
    std::fs::write(&path, splice(&doc, &section)?).map_err(|e| format!("nist: {DOC}: {e}"))?;
    print!("{section}");
    eprintln!("nist: wrote {DOC}");
    Ok(())
}

/// The tab-separated records of a step's output; libtest's own lines have no tabs.
fn records(out: &str) -> Vec<Vec<&str>> {
    out.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() >= 3)
        .collect()
}

/// A column before the LRE cells: its header, and its value for a dataset.
type Lead<'f> = (&'f str, &'f dyn Fn(&str) -> String);

/// A table of "a / b" LRE pairs: a row per dataset, a column per path, ISA or peer.
#[derive(Default)]
struct Grid<'a> {
    rows: Vec<&'a str>,
    cols: Vec<&'a str>,
    cells: Vec<(&'a str, &'a str, f64, f64)>,
}

impl<'a> Grid<'a> {
    /// Adds the records of `kind` whose column name is field `col`; the dataset is field 1,
    /// the two LREs are the last two fields.
    fn add(&mut self, records: &[Vec<&'a str>], kind: &str, col: usize) -> Result<(), String> {
        for r in records.iter().filter(|r| r[0] == kind) {
            let lre = |f: &str| {
                f.parse::<f64>()
                    .map_err(|e| format!("nist: record {r:?}: {e}"))
            };
            let (name, c) = (r[1], r[col]);
            let (a, b) = (lre(r[r.len() - 2])?, lre(r[r.len() - 1])?);
            if !self.rows.contains(&name) {
                self.rows.push(name);
            }
            if !self.cols.contains(&c) {
                self.cols.push(c);
            }
            self.cells.push((name, c, a, b));
        }
        Ok(())
    }

    /// The markdown table, with `lead` columns (header, value per row) before the cells.
    fn markdown(&self, lead: &[Lead<'_>]) -> String {
        let mut s = String::from("| dataset |");
        for (h, _) in lead {
            let _ = write!(s, " {h} |");
        }
        for c in &self.cols {
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s, "\n|---|{}", "---|".repeat(lead.len() + self.cols.len()));
        for name in &self.rows {
            let _ = write!(s, "| {name} |");
            for (_, value) in lead {
                let _ = write!(s, " {} |", value(name));
            }
            for c in &self.cols {
                let cell = self.cells.iter().find(|x| x.0 == *name && x.1 == *c);
                match cell {
                    Some((_, _, a, b)) => {
                        let _ = write!(s, " {a:.1} / {b:.1} |");
                    }
                    None => s.push_str(" - |"),
                }
            }
            s.push('\n');
        }
        s
    }
}

/// The generated part of the section, from the test's records and the peers'.
fn render(ours: &[Vec<&str>], peers: &[Vec<&str>]) -> Result<String, String> {
    let machine = ours
        .iter()
        .find(|r| r[0] == "machine")
        .ok_or("nist: the test printed no records (was the StRD folder found?)")?;
    let versions: Vec<String> = peers
        .iter()
        .filter(|r| r[0] == "version")
        .map(|r| format!("{} {}", r[1], r[2]))
        .collect();
    // `lls  dataset  target  floor  path  min  sd`, as the test's `lre_table` documents.
    let goals: Vec<(&str, &str, &str)> = ours
        .iter()
        .filter(|r| r[0] == "lls" && r.len() == 7)
        .map(|r| (r[1], r[2], r[3]))
        .collect();
    let goal = |name: &str| goals.iter().find(|g| g.0 == name).copied();
    let target = |name: &str| goal(name).map_or("-", |g| g.1).to_string();
    // The floors per path, once each: "9", or "7.5 (accumulator 6.5)" where paths differ.
    let asserted = |name: &str| {
        let Some(first) = goal(name) else {
            return "-".to_string();
        };
        let others: Vec<String> = ours
            .iter()
            .filter(|r| r[0] == "lls" && r.len() == 7 && r[1] == name && r[3] != first.2)
            .map(|r| format!("{} {}", r[4], r[3]))
            .collect();
        if others.is_empty() {
            first.2.to_string()
        } else {
            format!("{} ({})", first.2, others.join(", "))
        }
    };
    let mut lls = Grid::default();
    lls.add(ours, "lls", 4)?;
    lls.add(peers, "lls", 2)?;
    let mut uni = Grid::default();
    uni.add(ours, "uni", 2)?;
    uni.add(peers, "uni", 2)?;
    if lls.rows.is_empty() || uni.rows.is_empty() {
        return Err("nist: a table came out empty".into());
    }
    let short: Vec<String> = ours
        .iter()
        .filter(|r| r[0] == "lls" && r.len() == 7)
        .filter_map(|r| {
            let (got, target) = (r[5].parse::<f64>().ok()?, r[2].parse::<f64>().ok()?);
            (got < target).then(|| format!("{} {} ({got:.2} < {target})", r[1], r[4]))
        })
        .collect();

    let mut s = String::new();
    let _ = writeln!(
        s,
        "Generated by `cargo xtask nist` on {} (ISAs: {}); peers: {}.\n",
        machine[1],
        machine[2].replace(',', ", "),
        versions.join(", ")
    );
    let _ = writeln!(
        s,
        "Linear least squares, smallest coefficient LRE / residual standard deviation LRE:\n"
    );
    s.push_str(&lls.markdown(&[("target", &target), ("asserted", &asserted)]));
    if short.is_empty() {
        s.push_str("\nEvery fit of ours reaches the target.\n");
    } else {
        let _ = writeln!(
            s,
            "\nShort of the target (smallest coefficient LRE): {}.",
            short.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\nSummary statistics, mean LRE / standard deviation (ddof 1) LRE:\n"
    );
    s.push_str(&uni.markdown(&[]));
    Ok(s)
}

/// `doc` with the text between [`BEGIN`] and [`END`] replaced by `section`.
fn splice(doc: &str, section: &str) -> Result<String, String> {
    let missing = |m: &str| format!("nist: {DOC} has no {m} marker");
    let from = doc.find(BEGIN).ok_or_else(|| missing(BEGIN))? + BEGIN.len();
    let to = from + doc[from..].find(END).ok_or_else(|| missing(END))?;
    Ok(format!("{}\n{section}{}", &doc[..from], &doc[to..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "running 1 test\n\
        machine\tSome CPU\tscalar,avx2\n\
        lls\tNorris\t9\t9\tfit scalar\t12.6\t14.1\n\
        lls\tNorris\t9\t9\tfit avx2\t12.61\t14.1\n\
        lls\tFilip\t8\t7.5\tfit scalar\t7.83\t8.3\n\
        uni\tLew\tscalar\t15\t15\n\
        test lre_table ... ok\n";
    const PEERS: &str = "version\tnumpy\t2.4.6\n\
        lls\tNorris\tnumpy lstsq\t13.2\t14\n\
        uni\tLew\tnumpy\t15\t14.96\n";

    #[test]
    fn the_section_has_a_column_per_path_and_peer() {
        let s = render(&records(OURS), &records(PEERS)).unwrap();
        assert!(s.contains("on Some CPU (ISAs: scalar, avx2); peers: numpy 2.4.6."));
        assert!(s.contains("| dataset | target | asserted | fit scalar | fit avx2 | numpy lstsq |"));
        assert!(s.contains("| Norris | 9 | 9 | 12.6 / 14.1 | 12.6 / 14.1 | 13.2 / 14.0 |"));
        assert!(s.contains("| Filip | 8 | 7.5 | 7.8 / 8.3 | - | - |"));
        assert!(s.contains("Filip fit scalar (7.83 < 8)"));
        assert!(s.contains("| Lew | 15.0 / 15.0 | 15.0 / 15.0 |"));
    }

    #[test]
    fn splicing_replaces_only_the_marked_part() {
        let doc = format!("intro\n{BEGIN}\nold\n{END}\noutro\n");
        let once = splice(&doc, "new\n").unwrap();
        assert_eq!(once, format!("intro\n{BEGIN}\nnew\n{END}\noutro\n"));
        assert_eq!(splice(&once, "new\n").unwrap(), once);
        assert!(splice("no markers", "x").is_err());
    }
}
