//! `cargo xtask tidy`: rules that keep the tree honest, run as a step of `cargo xtask ci`.
//! Each violation is printed as one line naming the file(s); any violation fails the task.
//!
//! 1. **No import cycle between the modules of a crate.** Every crate target of the
//!    workspace (the `lib.rs`, `main.rs` and `bin/*` roots of `crates/*`, `benches` and
//!    `xtask`) is read as a graph of its source files, with an edge wherever non-test code
//!    of one file names a module or item defined in another (`use crate::a::b`,
//!    `use super::x`, `crate::x::f()`, `use child::Y` in a parent); the graph must be a DAG.
//!    `mod x;` declarations are not edges; `#[cfg(test)]` code is not code; a path through a
//!    re-export (`crate::Foo` with `pub use x::Foo` in `lib.rs`) is an edge to the file
//!    that defines `Foo`, and a `pub use` is not an edge of its own file unless that file's
//!    code uses the name too. The details are in [`modules`]. A cycle is reported as
//!    `a.rs:L -> b.rs:M -> a.rs`: line L of `a.rs` names `b.rs`, line M of `b.rs` names
//!    `a.rs`. Break it by moving what both need into a module both can import.
//! 2. **No long source file.** A file under `crates/*/src` holds at most [`MAX_LINES`]
//!    lines besides its `#[cfg(test)]` items (a trailing `mod tests { .. }` does not count,
//!    nor does a file declared as `#[cfg(test)] mod tests;`), unless [`LONG_FILES`] lists it
//!    with a reason. An entry that is no longer needed is a violation too, so the list only
//!    shrinks.
//! 3. **Library crates carry no program-only dependency**: [`LIBRARY_CRATES`] have none of
//!    [`PROGRAM_ONLY`] among their normal dependencies (`[dependencies]` and its
//!    `target.'cfg(..)'` forms; dev-dependencies are fine). Those belong to the `mlp`
//!    program.
//! 4. **Layers depend only on layers below.** Each crate under `crates/` is in
//!    [`LAYERS`], and its normal dependencies on workspace crates name only crates of lower
//!    layers (not of its own: `mlp` and `ml-datafusion` share the top one).

mod cycles;
mod lex;
mod manifest;
mod modules;

use crate::cmd::root;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Most lines of non-test code a file under `crates/*/src` may hold.
pub const MAX_LINES: usize = 600;

/// Files allowed above [`MAX_LINES`], each as `("crates/<crate>/src/<file>.rs", "why")`.
/// Remove an entry when its file is split; tidy reports entries no longer needed.
pub const LONG_FILES: &[(&str, &str)] = &[];

/// The library crates: what users link.
pub const LIBRARY_CRATES: [&str; 5] = [
    "seeded-rng",
    "simd-kernels",
    "zero-copy-pool",
    "fast-math",
    "ml-pipeline",
];

/// Crates only a program needs (argument parsing, terminal output, plots, file formats).
pub const PROGRAM_ONLY: [&str; 12] = [
    "clap",
    "indicatif",
    "plotters",
    "csv-core",
    "zmij",
    "memchr",
    "arrow-array",
    "arrow-schema",
    "arrow-ipc",
    "parquet",
    "flate2",
    "bytes",
];

/// The crates of `crates/`, bottom layer first; each may depend only on crates of the
/// layers before its own. Crates of one layer may not depend on each other: the program
/// (`mlp`) and the engine adapter (`ml-datafusion`) both sit on `ml-pipeline`, and neither
/// builds the other.
pub const LAYERS: [&[&str]; 6] = [
    &["seeded-rng"],
    &["simd-kernels"],
    &["zero-copy-pool"],
    &["fast-math"],
    &["ml-pipeline"],
    &["mlp", "ml-datafusion"],
];

/// Runs every rule and prints each violation.
pub fn run() -> Result<(), String> {
    let violations = check(&root())?;
    for v in &violations {
        println!("tidy: {v}");
    }
    if violations.is_empty() {
        println!(
            "tidy: ok (no import cycles, no file over {MAX_LINES} lines, library dependencies \
             clean, layers depend downward)"
        );
        Ok(())
    } else {
        Err(format!("tidy: {} violation(s)", violations.len()))
    }
}

/// Every violation in the workspace at `root`, one line each.
pub fn check(root: &Path) -> Result<Vec<String>, String> {
    let packages = packages(root)?;
    let mut out = Vec::new();
    let mut test_files = HashSet::new();
    for pkg in &packages {
        import_cycles(root, pkg, &mut out, &mut test_files)?;
    }
    long_files(root, &test_files, &mut out)?;
    dependencies(root, &packages, &mut out)?;
    Ok(out)
}

/// `path` relative to the workspace root, for messages.
fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// The package directories: `crates/*` (those with a manifest), `benches`, `xtask`.
fn packages(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = sorted_dir(&root.join("crates"))?
        .into_iter()
        .filter(|d| d.join("Cargo.toml").is_file())
        .collect();
    dirs.extend(["benches", "xtask"].map(|d| root.join(d)));
    Ok(dirs)
}

/// The crate roots of a package: `src/lib.rs`, `src/main.rs`, `src/bin/*.rs`,
/// `src/bin/*/main.rs`.
fn crate_roots(pkg: &Path) -> Result<Vec<PathBuf>, String> {
    let src = pkg.join("src");
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"].map(|f| src.join(f)).to_vec();
    let bin = src.join("bin");
    if bin.is_dir() {
        for entry in sorted_dir(&bin)? {
            roots.push(if entry.is_dir() {
                entry.join("main.rs")
            } else {
                entry
            });
        }
    }
    roots.retain(|r| r.is_file() && r.extension().is_some_and(|e| e == "rs"));
    Ok(roots)
}

/// Rule 1 for one package; also collects the files its targets declare only for tests.
fn import_cycles(
    root: &Path,
    pkg: &Path,
    out: &mut Vec<String>,
    test_files: &mut HashSet<PathBuf>,
) -> Result<(), String> {
    for crate_root in crate_roots(pkg)? {
        let target = modules::Target::load(&crate_root)?;
        test_files.extend(target.test_files.iter().cloned());
        let edges = target.edges();
        let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
        for cycle in cycles::cycles(target.files.len(), &pairs) {
            let mut hops: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(&a, &b)| {
                    let line = edges
                        .iter()
                        .find(|e| e.from == a && e.to == b)
                        .map_or(0, |e| e.line);
                    format!("{}:{line}", rel(root, &target.files[a].path))
                })
                .collect();
            hops.push(rel(root, &target.files[cycle[0]].path));
            let msg = format!("import cycle: {}", hops.join(" -> "));
            if !out.contains(&msg) {
                out.push(msg);
            }
        }
    }
    Ok(())
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in sorted_dir(dir)? {
        if entry.is_dir() {
            rust_files(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "rs") {
            files.push(entry);
        }
    }
    Ok(())
}

/// Rule 2.
fn long_files(
    root: &Path,
    test_files: &HashSet<PathBuf>,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let mut files = Vec::new();
    for krate in sorted_dir(&root.join("crates"))? {
        if krate.join("src").is_dir() {
            rust_files(&krate.join("src"), &mut files)?;
        }
    }
    let mut long = HashSet::new();
    for file in files.iter().filter(|f| !test_files.contains(*f)) {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let lines = text
            .lines()
            .count()
            .saturating_sub(modules::parse(&text).test_lines);
        let name = rel(root, file);
        if lines > MAX_LINES {
            if !LONG_FILES.iter().any(|(f, _)| *f == name) {
                out.push(format!(
                    "long file: {name} has {lines} lines besides tests (limit {MAX_LINES}): \
                     split it, or list it in LONG_FILES in xtask/src/tidy/mod.rs with a reason"
                ));
            }
            long.insert(name);
        }
    }
    for (name, _) in LONG_FILES {
        if !long.contains(*name) {
            out.push(format!(
                "long file: {name} is in LONG_FILES (xtask/src/tidy/mod.rs) but is not over \
                 {MAX_LINES} lines (or is gone): remove the entry"
            ));
        }
    }
    Ok(())
}

/// Rules 3 and 4.
fn dependencies(root: &Path, packages: &[PathBuf], out: &mut Vec<String>) -> Result<(), String> {
    let mut manifests = Vec::new();
    for pkg in packages {
        let path = pkg.join("Cargo.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        manifests.push((rel(root, &path), manifest::parse(&text)));
    }
    let members: Vec<&str> = manifests.iter().map(|(_, m)| m.name.as_str()).collect();
    let rank = |name: &str| LAYERS.iter().position(|l| l.contains(&name));
    for (path, m) in manifests.iter().filter(|(p, _)| p.starts_with("crates/")) {
        if LIBRARY_CRATES.contains(&m.name.as_str()) {
            for (dep, line) in m
                .deps
                .iter()
                .filter(|(d, _)| PROGRAM_ONLY.contains(&d.as_str()))
            {
                out.push(format!(
                    "program-only dependency: {path}:{line}: library crate {} depends on {dep} \
                     (it belongs to the mlp program, or in [dev-dependencies])",
                    m.name
                ));
            }
        }
        let Some(own) = rank(&m.name) else {
            out.push(format!(
                "layers: {path}: crate {} is in no layer; add it to LAYERS in \
                 xtask/src/tidy/mod.rs",
                m.name
            ));
            continue;
        };
        for (dep, line) in m.deps.iter().filter(|(d, _)| members.contains(&d.as_str())) {
            if rank(dep).is_none_or(|r| r >= own) {
                out.push(format!(
                    "layers: {path}:{line}: {} (layer {}) depends on {dep}, which is not a \
                     layer below it ({})",
                    m.name,
                    own + 1,
                    LAYERS.map(|l| l.join(", ")).join(" < ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cycles::cycles;
    use super::modules::Target;

    /// Writes `files` into a fresh temporary directory and returns the import cycles of the
    /// crate rooted at its `lib.rs`, as paths relative to it.
    fn cycles_of(name: &str, files: &[(&str, &str)]) -> Vec<Vec<String>> {
        let dir = std::env::temp_dir().join(format!("xtask-tidy-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let target = Target::load(&dir.join("lib.rs")).unwrap();
        let pairs: Vec<(usize, usize)> = target.edges().iter().map(|e| (e.from, e.to)).collect();
        let name = |i: usize| {
            let path = target.files[i].path.strip_prefix(&dir).unwrap();
            path.display().to_string()
        };
        let found = cycles(target.files.len(), &pairs)
            .into_iter()
            .map(|c| c.into_iter().map(name).collect())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        found
    }

    #[test]
    fn the_benches_chart_report_cycle_and_its_fix() {
        let before = [
            ("lib.rs", "pub mod chart;\npub mod report;\n"),
            (
                "chart.rs",
                "use crate::report::{Ablation, Section};\npub fn write_svg(_: &[Section], _: &Ablation) {}\n",
            ),
            (
                "report.rs",
                "pub struct Section;\npub struct Ablation;\npub fn write_all() { crate::chart::write_svg(&[], &Ablation) }\n",
            ),
        ];
        assert_eq!(cycles_of("before", &before), [["chart.rs", "report.rs"]]);
        let after = [
            ("lib.rs", "pub mod chart;\npub mod report;\npub mod results;\n"),
            (
                "chart.rs",
                "use crate::results::{Ablation, Section};\npub fn write_svg(_: &[Section], _: &Ablation) {}\n",
            ),
            (
                "report.rs",
                "use crate::results::Ablation;\npub fn write_all() { crate::chart::write_svg(&[], &Ablation) }\n",
            ),
            ("results.rs", "pub struct Section;\npub struct Ablation;\n"),
        ];
        assert!(cycles_of("after", &after).is_empty());
    }

    #[test]
    fn a_path_through_a_reexport_leads_to_the_defining_file() {
        // lib.rs calls b; b names `crate::Foo`, which lib.rs re-exports from a: b -> a.
        let files = [
            (
                "lib.rs",
                "mod a;\nmod b;\npub use a::Foo;\npub fn run() { b::g() }\n",
            ),
            ("a.rs", "pub struct Foo;\n"),
            ("b.rs", "use crate::Foo;\npub fn g() { let _ = Foo; }\n"),
        ];
        assert!(cycles_of("reexport", &files).is_empty());
        // An item lib.rs defines itself is an edge to lib.rs.
        let files = [
            (
                "lib.rs",
                "mod b;\npub fn helper() {}\npub fn run() { b::g() }\n",
            ),
            ("b.rs", "pub fn g() { crate::helper() }\n"),
        ];
        assert_eq!(cycles_of("lib-item", &files), [["lib.rs", "b.rs"]]);
    }

    #[test]
    fn test_modules_do_not_count_and_super_paths_do() {
        let files = [
            ("lib.rs", "mod m;\n"),
            ("m/mod.rs", "mod x;\nmod y;\n"),
            (
                "m/x.rs",
                "pub struct X;\n#[cfg(test)]\nmod tests {\n    use super::super::y::f;\n}\n",
            ),
            ("m/y.rs", "pub fn f(_: super::x::X) {}\n"),
        ];
        assert!(cycles_of("test-mod", &files).is_empty());
        let files = [
            ("lib.rs", "mod m;\n"),
            ("m/mod.rs", "mod x;\nmod y;\n"),
            ("m/x.rs", "use super::y::Y;\npub struct X;\n"),
            ("m/y.rs", "pub struct Y;\npub fn f(_: super::x::X) {}\n"),
        ];
        assert_eq!(cycles_of("super", &files), [["m/x.rs", "m/y.rs"]]);
    }
}
