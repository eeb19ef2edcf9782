//! The module graph of one crate target (a `lib.rs`, `main.rs` or `bin/*.rs` root): which
//! source file imports which, read from the text with [`super::lex`].
//!
//! Nodes are files. The module tree comes from `mod name;` declarations (`name.rs`,
//! `name/mod.rs` or `#[path]`) and inline `mod name { .. }` blocks (part of their file).
//! A declaration is not an edge. Edges come from what non-test code names:
//!
//! - `use` trees whose path starts with `crate::`, `super::`, `self::` or the name of a
//!   child module (`use isa::Isa` in `lib.rs`);
//! - paths in code starting the same way (`crate::chart::write_svg(..)`, `super::x`).
//!
//! A path is resolved through the module tree to the file that defines its last module;
//! when it then names an item that module re-exports (`pub use gemm::{gemm, Par}` in
//! `lib.rs`), or imports privately and the importer may see (`use` in an ancestor), it is
//! followed to the module that defines the item. So `crate::Par` is an edge to `gemm.rs`,
//! not to `lib.rs`; a path to an item `lib.rs` itself defines is an edge to `lib.rs`.
//! A `pub use` is a re-export, not an edge of its own file, unless the file's code also
//! uses the name it binds. Glob re-exports (`pub use x::*`) are not followed.
//!
//! Not code: anything under `#[cfg(test)]` (a `mod tests { use super::*; .. }` block, a
//! `#[cfg(test)] mod tests;` file, a test-only item), comments, string literals, and
//! `$crate::` paths in macro definitions (they belong to the expansion site).

use super::lex::{tokenize, Kind, Token};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A `mod name;` declaration.
#[derive(Debug)]
struct ModDecl {
    /// The inline modules around it, inside its file.
    scope: Vec<String>,
    name: String,
    /// `#[path = ".."]`.
    path: Option<String>,
    test: bool,
}

/// One name bound by a `use` declaration (or a glob).
#[derive(Debug)]
struct UseEntry {
    scope: Vec<String>,
    segs: Vec<String>,
    /// The name bound (after `as`); `None` for a glob.
    name: Option<String>,
    public: bool,
    line: usize,
}

/// A path in code that may name a module of the crate.
#[derive(Debug)]
struct PathRef {
    scope: Vec<String>,
    segs: Vec<String>,
    line: usize,
}

/// What tidy needs from one source file.
#[derive(Debug, Default)]
pub struct Syntax {
    mods: Vec<ModDecl>,
    /// Inline modules, each as its path inside the file, parents before children.
    inline_mods: Vec<Vec<String>>,
    uses: Vec<UseEntry>,
    refs: Vec<PathRef>,
    /// Identifiers in non-test code outside `use` declarations.
    idents: HashSet<String>,
    /// Lines of `#[cfg(test)]` items (from the attribute to the item's end).
    pub test_lines: usize,
}

/// Whether an attribute's tokens (inside `#[..]`) make its item test-only.
fn is_cfg_test(attr: &[Token]) -> bool {
    attr.first().is_some_and(|t| t.is("cfg"))
        && attr.iter().any(|t| t.is("test"))
        && !attr.iter().any(|t| t.is("not") || t.is("any"))
}

/// Parses a file's text.
pub fn parse(src: &str) -> Syntax {
    Parser {
        toks: tokenize(src),
        i: 0,
        scopes: Vec::new(),
        out: Syntax::default(),
    }
    .run(src.lines().count())
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Open braces: `Some(name)` for an inline module, `None` for any other block.
    scopes: Vec<Option<String>>,
    out: Syntax,
}

impl Parser {
    fn at(&self, k: usize) -> Option<&Token> {
        self.toks.get(self.i + k)
    }

    fn at_is(&self, k: usize, text: &str) -> bool {
        self.at(k).is_some_and(|t| t.is(text))
    }

    fn scope(&self) -> Vec<String> {
        self.scopes.iter().flatten().cloned().collect()
    }

    /// The index of the token closing the bracket opened at `open`.
    fn matching(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for (k, t) in self.toks.iter().enumerate().skip(open) {
            if t.is("{") || t.is("(") || t.is("[") {
                depth += 1;
            } else if t.is("}") || t.is(")") || t.is("]") {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
        }
        self.toks.len().saturating_sub(1)
    }

    /// Skips one item or statement (after its attributes), returning the last line it spans:
    /// through a `;` or `,` at its own depth, or the end of its first top-level block, and
    /// never past a bracket that closes an enclosing one.
    fn skip_item(&mut self) -> usize {
        let mut depth = 0usize;
        let mut line = self.at(0).map_or(0, |t| t.line);
        while let Some(t) = self.at(0) {
            line = t.line;
            if t.is("{") || t.is("(") || t.is("[") {
                depth += 1;
            } else if t.is("}") || t.is(")") || t.is("]") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                if depth == 0 && t.is("}") {
                    self.i += 1;
                    break;
                }
            } else if depth == 0 && (t.is(";") || t.is(",")) {
                self.i += 1;
                break;
            }
            self.i += 1;
        }
        line
    }

    fn run(mut self, total_lines: usize) -> Syntax {
        // The line of a pending `#[cfg(test)]`, a pending `#[path = ".."]`, and `pub`.
        let mut test: Option<usize> = None;
        let mut path: Option<String> = None;
        let mut public = false;
        while let Some(t) = self.at(0).cloned() {
            if t.is("#") && (self.at_is(1, "[") || (self.at_is(1, "!") && self.at_is(2, "["))) {
                let inner = self.at_is(1, "!");
                let open = self.i + 1 + usize::from(inner);
                let close = self.matching(open);
                let attr = &self.toks[open + 1..close];
                if is_cfg_test(attr) {
                    if inner && self.scopes.is_empty() {
                        // `#![cfg(test)]`: the whole file is test code.
                        return Syntax {
                            test_lines: total_lines,
                            ..Syntax::default()
                        };
                    }
                    test.get_or_insert(t.line);
                }
                if let [p, eq, lit] = attr {
                    if p.is("path") && eq.is("=") && lit.kind == Kind::Literal {
                        path = Some(lit.text.clone());
                    }
                }
                self.i = close + 1;
                continue;
            }
            if t.is("pub") {
                public = true;
                self.i += 1;
                if self.at_is(0, "(") {
                    self.i = self.matching(self.i) + 1;
                }
                continue;
            }
            let name = self
                .at(1)
                .filter(|n| n.kind == Kind::Ident)
                .map(|n| n.text.clone());
            if let (true, Some(name)) = (t.is("mod"), name) {
                if self.at_is(2, ";") {
                    if let Some(start) = test {
                        self.out.test_lines += self.toks[self.i + 2].line - start + 1;
                    }
                    self.out.mods.push(ModDecl {
                        scope: self.scope(),
                        name,
                        path: path.take(),
                        test: test.is_some(),
                    });
                    self.i += 3;
                } else if self.at_is(2, "{") {
                    if let Some(start) = test {
                        let close = self.matching(self.i + 2);
                        self.out.test_lines += self.toks[close].line - start + 1;
                        self.i = close + 1;
                    } else {
                        self.scopes.push(Some(name));
                        self.out.inline_mods.push(self.scope());
                        self.i += 3;
                    }
                } else {
                    self.i += 1;
                }
                (test, path, public) = (None, None, false);
                continue;
            }
            if t.is("use") {
                self.i += 1;
                let mut trees = Vec::new();
                self.use_tree(Vec::new(), &mut trees);
                while self.at(0).is_some_and(|t| !t.is(";")) {
                    self.i += 1;
                }
                self.i += 1;
                if test.is_none() {
                    let scope = self.scope();
                    self.out
                        .uses
                        .extend(trees.into_iter().map(|(segs, name)| UseEntry {
                            scope: scope.clone(),
                            segs,
                            name,
                            public,
                            line: t.line,
                        }));
                }
                (test, path, public) = (None, None, false);
                continue;
            }
            if let Some(start) = test {
                let end = self.skip_item();
                self.out.test_lines += end - start + 1;
                (test, path, public) = (None, None, false);
                continue;
            }
            (path, public) = (None, false);
            if t.is("{") {
                self.scopes.push(None);
            } else if t.is("}") {
                self.scopes.pop();
            } else if t.kind == Kind::Ident {
                let after_sep = self.i > 0 && {
                    let prev = &self.toks[self.i - 1];
                    prev.is("::") || prev.is("$")
                };
                if self.at_is(1, "::") && !after_sep {
                    let mut segs = vec![t.text.clone()];
                    self.i += 1;
                    while self.at_is(0, "::") && self.at(1).is_some_and(|s| s.kind == Kind::Ident) {
                        segs.push(self.toks[self.i + 1].text.clone());
                        self.i += 2;
                    }
                    self.out.idents.insert(t.text.clone());
                    self.out.refs.push(PathRef {
                        scope: self.scope(),
                        segs,
                        line: t.line,
                    });
                    continue;
                }
                self.out.idents.insert(t.text.clone());
            }
            self.i += 1;
        }
        self.out
    }

    /// Parses a use tree (after `use`, or inside braces), adding each binding as
    /// `(path, bound name)`, `None` for a glob. Stops at anything it does not understand
    /// (`$crate` in a macro), having moved past at least one token.
    fn use_tree(&mut self, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
        let mut segs = prefix;
        if self.at_is(0, "::") {
            self.i += 1;
        }
        loop {
            let Some(t) = self.at(0).cloned() else { return };
            if t.is("{") {
                self.i += 1;
                while self.at(0).is_some_and(|t| !t.is("}") && !t.is(";")) {
                    let before = self.i;
                    self.use_tree(segs.clone(), out);
                    if self.at_is(0, ",") || self.i == before {
                        self.i += 1;
                    }
                }
                if self.at_is(0, "}") {
                    self.i += 1;
                }
                return;
            }
            if t.is("*") {
                self.i += 1;
                out.push((segs, None));
                return;
            }
            if t.kind != Kind::Ident {
                return;
            }
            segs.push(t.text);
            self.i += 1;
            if self.at_is(0, "::") {
                self.i += 1;
                continue;
            }
            let mut name = segs.last().cloned().unwrap_or_default();
            if self.at_is(0, "as") {
                name = self.at(1).map(|t| t.text.clone()).unwrap_or_default();
                self.i += 2;
            }
            if segs.len() > 1 && segs.last().is_some_and(|s| s == "self") {
                segs.pop();
                if name == "self" {
                    name = segs.last().cloned().unwrap_or_default();
                }
            }
            out.push((segs, Some(name)));
            return;
        }
    }
}

/// A module: the file that holds it and the names of its child modules.
#[derive(Debug)]
struct Module {
    file: usize,
    children: BTreeSet<String>,
}

/// One source file of the target.
#[derive(Debug)]
pub struct File {
    /// Its path.
    pub path: PathBuf,
    /// The module it is (inline modules inside it extend this path).
    module: Vec<String>,
    /// Whether its child modules' files sit beside it (`lib.rs`, `main.rs`, `mod.rs`,
    /// `#[path]` files) rather than in a directory named after it.
    mod_rs: bool,
    syntax: Syntax,
}

/// An import: `from` names something `to` defines, first at line `line` of `from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Index of the importing file.
    pub from: usize,
    /// Index of the imported file.
    pub to: usize,
    /// The first line of `from` that names it.
    pub line: usize,
}

/// The module tree and files of one crate target.
#[derive(Debug)]
pub struct Target {
    /// Its files, the root first.
    pub files: Vec<File>,
    modules: HashMap<Vec<String>, Module>,
    /// Files declared only under `#[cfg(test)]` (not parsed, not in the graph).
    pub test_files: Vec<PathBuf>,
}

impl Target {
    /// Reads the target whose crate root is `root` and every module file it declares.
    pub fn load(root: &Path) -> Result<Target, String> {
        let read =
            |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut t = Target {
            files: vec![File {
                path: root.to_path_buf(),
                module: Vec::new(),
                mod_rs: true,
                syntax: parse(&read(root)?),
            }],
            modules: HashMap::new(),
            test_files: Vec::new(),
        };
        t.modules.insert(
            Vec::new(),
            Module {
                file: 0,
                children: BTreeSet::new(),
            },
        );
        let mut k = 0;
        while k < t.files.len() {
            let file = &t.files[k];
            let base = file.path.parent().unwrap_or(Path::new("")).to_path_buf();
            let own_dir = if file.mod_rs {
                base.clone()
            } else {
                base.join(file.path.file_stem().unwrap_or_default())
            };
            let module = file.module.clone();
            for inline in file.syntax.inline_mods.clone() {
                t.add_module(&module, &inline, k);
            }
            let mut found = Vec::new();
            for decl in &t.files[k].syntax.mods {
                let dir = decl.scope.iter().fold(own_dir.clone(), |d, s| d.join(s));
                let candidates = match &decl.path {
                    Some(p) if decl.scope.is_empty() => vec![base.join(p)],
                    Some(p) => vec![dir.join(p)],
                    None => vec![
                        dir.join(format!("{}.rs", decl.name)),
                        dir.join(&decl.name).join("mod.rs"),
                    ],
                };
                let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
                    continue; // the compiler reports a missing module file
                };
                if decl.test {
                    t.test_files.push(path);
                    continue;
                }
                let mod_rs = decl.path.is_some() || path.ends_with("mod.rs");
                let mut child = module.clone();
                child.extend(decl.scope.iter().cloned());
                found.push((child, decl.name.clone(), path, mod_rs));
            }
            for (parent, name, path, mod_rs) in found {
                if t.files.iter().any(|f| f.path == path) {
                    continue;
                }
                let syntax = parse(&read(&path)?);
                let index = t.files.len();
                let mut module = parent.clone();
                module.push(name.clone());
                t.files.push(File {
                    path,
                    module,
                    mod_rs,
                    syntax,
                });
                t.add_module(&parent, &[name], index);
            }
            k += 1;
        }
        Ok(t)
    }

    /// Registers the module `base ++ rel` (its parent already known) as held by `file`.
    fn add_module(&mut self, base: &[String], rel: &[String], file: usize) {
        let mut path = base.to_vec();
        path.extend(rel.iter().cloned());
        let Some((name, parent)) = path.split_last() else {
            return;
        };
        if let Some(p) = self.modules.get_mut(parent) {
            p.children.insert(name.clone());
        }
        self.modules.insert(
            path.clone(),
            Module {
                file,
                children: BTreeSet::new(),
            },
        );
    }

    fn children(&self, module: &[String]) -> Option<&BTreeSet<String>> {
        self.modules.get(module).map(|m| &m.children)
    }

    /// `segs`, written in module `scope`, as a path from the crate root; `None` when it
    /// names another crate (or an item in scope, which the `use` that brought it covers).
    fn absolute(&self, scope: &[String], segs: &[String]) -> Option<Vec<String>> {
        let first = segs.first()?;
        let (mut base, rest) = match first.as_str() {
            "crate" => (Vec::new(), &segs[1..]),
            "self" => (scope.to_vec(), &segs[1..]),
            "super" => {
                let mut base = scope.to_vec();
                let supers = segs.iter().take_while(|s| *s == "super").count();
                for _ in 0..supers {
                    base.pop()?;
                }
                (base, &segs[supers..])
            }
            child if self.children(scope)?.contains(child) => (scope.to_vec(), segs),
            _ => return None,
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file defining what the absolute path `path` names, as seen from module `from`.
    fn resolve(&self, from: &[String], path: &[String], depth: usize) -> usize {
        let mut cur: Vec<String> = Vec::new();
        for (k, seg) in path.iter().enumerate() {
            let Some(module) = self.modules.get(&cur) else {
                break;
            };
            if module.children.contains(seg) {
                cur.push(seg.clone());
                continue;
            }
            // `seg` is an item of `cur`: defined there, or imported there from elsewhere.
            if depth < 8 {
                if let Some(mut target) = self.import_of(from, &cur, seg) {
                    target.extend(path[k + 1..].iter().cloned());
                    return self.resolve(from, &target, depth + 1);
                }
            }
            return module.file;
        }
        self.modules.get(&cur).map_or(0, |m| m.file)
    }

    /// The absolute path that a `use` in `module`, visible from `from`, binds to `name`.
    fn import_of(&self, from: &[String], module: &[String], name: &str) -> Option<Vec<String>> {
        let file = &self.files[self.modules.get(module)?.file];
        file.syntax.uses.iter().find_map(|u| {
            let scope: Vec<String> = file.module.iter().chain(&u.scope).cloned().collect();
            let visible = u.public || from.starts_with(module);
            if scope != module || !visible || u.name.as_deref() != Some(name) {
                return None;
            }
            self.absolute(&scope, &u.segs)
        })
    }

    /// Every import between two different files, the first line of each pair only.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges: Vec<Edge> = Vec::new();
        for (from, file) in self.files.iter().enumerate() {
            let s = &file.syntax;
            let uses = s
                .uses
                .iter()
                .filter(|u| {
                    // A re-export is an edge only if this file's code uses the name too.
                    !u.public || u.name.as_ref().is_some_and(|n| s.idents.contains(n))
                })
                .map(|u| (&u.scope, &u.segs, u.line));
            let refs = s.refs.iter().map(|r| (&r.scope, &r.segs, r.line));
            for (scope, segs, line) in uses.chain(refs) {
                let scope: Vec<String> = file.module.iter().chain(scope).cloned().collect();
                let Some(path) = self.absolute(&scope, segs) else {
                    continue;
                };
                let to = self.resolve(&scope, &path, 0);
                if to == from {
                    continue;
                }
                match edges.iter_mut().find(|e| e.from == from && e.to == to) {
                    Some(e) => e.line = e.line.min(line),
                    None => edges.push(Edge { from, to, line }),
                }
            }
        }
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(src: &str) -> Vec<(Vec<String>, Option<String>, bool)> {
        parse(src)
            .uses
            .into_iter()
            .map(|u| (u.segs, u.name, u.public))
            .collect()
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn use_trees() {
        let b = bound(
            "pub use crate::a::{self, b::{C, D as E}, *};\nuse super::f;\npub(crate) use g::H;",
        );
        assert_eq!(
            b,
            vec![
                (v(&["crate", "a"]), Some("a".into()), true),
                (v(&["crate", "a", "b", "C"]), Some("C".into()), true),
                (v(&["crate", "a", "b", "D"]), Some("E".into()), true),
                (v(&["crate", "a"]), None, true),
                (v(&["super", "f"]), Some("f".into()), false),
                (v(&["g", "H"]), Some("H".into()), true),
            ]
        );
    }

    #[test]
    fn test_code_is_not_code() {
        let src = "use crate::a::B;\nfn f() { crate::c::g(); }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::d::E;\n}\n#[cfg(test)]\nmod more;\n#[cfg(all(test, unix))]\nfn helper() { crate::e::f(); }\n";
        let s = parse(src);
        assert_eq!(s.uses.len(), 1);
        let refs: Vec<&Vec<String>> = s.refs.iter().map(|r| &r.segs).collect();
        assert_eq!(refs, [&v(&["crate", "c", "g"])]);
        assert!(s.mods[0].test);
        assert_eq!(s.test_lines, 5 + 2 + 2);
    }

    #[test]
    fn inline_modules_scope_their_paths() {
        let s = parse("mod a { pub mod b { use super::super::c; } }\nmod d;");
        assert_eq!(s.inline_mods, vec![v(&["a"]), v(&["a", "b"])]);
        assert_eq!(s.uses[0].scope, v(&["a", "b"]));
        assert!(s.mods[0].scope.is_empty() && s.mods[0].name == "d");
    }
}
