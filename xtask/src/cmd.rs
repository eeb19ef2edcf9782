//! Running commands from the workspace root, and timing them.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The workspace root (the parent of this crate's directory).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Where cargo builds: `$CARGO_TARGET_DIR` when set (the builds of a task honour it, so the
/// paths of what they built must too), else the workspace's `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// `cargo` with the toolchain that runs this task.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs `cmd` with inherited output; returns whether it succeeded and the seconds it took.
pub fn run_timed(cmd: &mut Command) -> (bool, f64) {
    let start = Instant::now();
    eprintln!("\n$ {}", describe(cmd));
    let ok = match cmd.status() {
        Ok(status) => status.success(),
        Err(e) => {
            eprintln!("could not start {:?}: {e}", cmd.get_program());
            false
        }
    };
    (ok, start.elapsed().as_secs_f64())
}

/// Runs `cmd` as step `name` of `task`, with inherited output; an error names both.
pub fn step(task: &str, name: &str, cmd: &mut Command) -> Result<(), String> {
    let (ok, secs) = run_timed(cmd);
    if ok {
        Ok(())
    } else {
        Err(format!("{task}: step '{name}' failed after {secs:.0} s"))
    }
}

/// Runs `cmd` as step `name` of `task` and returns what it printed on stdout (stderr is
/// inherited, so progress and errors still show).
pub fn stdout_of(task: &str, name: &str, cmd: &mut Command) -> Result<String, String> {
    let start = Instant::now();
    eprintln!("\n$ {}", describe(cmd));
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{task}: step '{name}': could not start: {e}"))?;
    if !out.status.success() {
        let secs = start.elapsed().as_secs_f64();
        return Err(format!("{task}: step '{name}' failed after {secs:.0} s"));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{task}: step '{name}': {e}"))
}

/// The command line, with the environment variables it sets, as a shell would show it.
pub fn describe(cmd: &Command) -> String {
    let envs: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
        .collect();
    let args: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut parts = envs;
    parts.extend(args);
    parts.join(" ")
}

/// Whether `program` can be found on PATH.
pub fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
