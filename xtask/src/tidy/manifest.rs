//! The two things tidy reads from a `Cargo.toml`: the package name and its normal
//! dependencies (`[dependencies]`, `[dependencies.NAME]`, and the `target.'cfg(..)'` forms).
//! Dev- and build-dependencies are not normal dependencies. A renamed dependency
//! (`alias = { package = "real", .. }`) is reported under its package name. Enough TOML
//! for Cargo manifests as this workspace writes them, without a TOML parser dependency.

/// A package's name and its normal dependencies.
#[derive(Debug, Default, PartialEq)]
pub struct Manifest {
    /// `[package] name`.
    pub name: String,
    /// Each normal dependency's package name and the 1-based line that declares it.
    pub deps: Vec<(String, usize)>,
}

/// Where in the manifest a line is.
enum Section {
    Package,
    /// `[dependencies]` or `[target.X.dependencies]`: one dependency per key.
    Deps,
    /// `[dependencies.NAME]`: keys describe NAME.
    Dep(usize),
    Other,
}

/// Parses the package name and normal dependencies of a manifest's text.
pub fn parse(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut section = Section::Other;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let parts = dotted(header.trim());
            let at = match parts.first().map(String::as_str) {
                Some("dependencies") => Some(0),
                Some("target") if parts.get(2).map(String::as_str) == Some("dependencies") => {
                    Some(2)
                }
                _ => None,
            };
            section = match at.map(|k| &parts[k + 1..]) {
                _ if parts == ["package"] => Section::Package,
                Some([]) => Section::Deps,
                Some([name]) => {
                    m.deps.push((name.clone(), i + 1));
                    Section::Dep(m.deps.len() - 1)
                }
                _ => Section::Other,
            };
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match section {
            Section::Package if key == "name" => m.name = unquote(value),
            Section::Deps => {
                // `name = ..`, `name.workspace = true`, `"name" = { .. }`.
                let name = unquote(key.split('.').next().unwrap_or(key));
                let name = renamed(value).unwrap_or(name);
                m.deps.push((name, i + 1));
            }
            Section::Dep(k) if key == "package" => m.deps[k].0 = unquote(value),
            _ => {}
        }
    }
    m
}

/// The `package = "..."` of an inline table, if it has one.
fn renamed(value: &str) -> Option<String> {
    let inner = value.strip_prefix('{')?.strip_suffix('}')?;
    inner.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == "package").then(|| unquote(v))
    })
}

/// A dotted key split at the dots outside quotes, each part unquoted.
fn dotted(key: &str) -> Vec<String> {
    let (mut parts, mut cur, mut quote) = (Vec::new(), String::new(), None);
    for c in key.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('.', None) => parts.push(unquote(&std::mem::take(&mut cur))),
            _ => cur.push(c),
        }
    }
    parts.push(unquote(&cur));
    parts
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(|c| c == '"' || c == '\'').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_dependencies_in_every_form() {
        let m = parse(
            r#"[package]
name = "ml-pipeline"
version.workspace = true

[dependencies]
simd-kernels.workspace = true
serde = { workspace = true, features = ["derive"] } # comment
cli = { package = "clap", version = "4" }

[dev-dependencies]
approx.workspace = true

[target.'cfg(unix)'.dependencies]
memchr = "2"

[target.'cfg(unix)'.dev-dependencies]
tempfile = "3"

[dependencies.plotters]
version = "0.3"

[build-dependencies]
cc = "1"
"#,
        );
        assert_eq!(m.name, "ml-pipeline");
        let names: Vec<&str> = m.deps.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["simd-kernels", "serde", "clap", "memchr", "plotters"]
        );
        assert_eq!(m.deps[0].1, 6);
    }
}
