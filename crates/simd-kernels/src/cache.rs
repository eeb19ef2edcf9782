//! The data cache sizes of the machine the process runs on, which size every cache
//! blocking above this layer (GEMM's `MC`, `KC`, `NC`).
//!
//! Read once per process from Linux's sysfs (`/sys/devices/system/cpu/cpu0/cache`), which
//! reports what the CPU's own cache descriptors say (CPUID leaf 4 on Intel, `0x8000001D` on
//! AMD), also inside a virtual machine. Elsewhere, or when sysfs is missing, conservative
//! sizes that hold on every x86_64 server of the last decade stand in, and
//! [`CacheSizes::source`] says so.

use std::path::Path;
use std::sync::OnceLock;

/// Where [`CacheSizes`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSource {
    /// Read from the operating system's description of this CPU.
    Sysfs,
    /// Not readable here: the conservative defaults of [`CacheSizes::FALLBACK`].
    Fallback,
}

/// Data cache capacities in bytes, as seen by one core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// Level 1 data cache (private to a core).
    pub l1d: usize,
    /// Ways of associativity of the L1 data cache: how many lines of one set it holds,
    /// which decides whether a streamed panel evicts a resident one (GEMM's `KC`).
    pub l1d_ways: usize,
    /// Level 2 cache (private to a core on current x86_64 parts).
    pub l2: usize,
    /// Ways of associativity of L2: with its size, where addresses a power of two apart
    /// collide (the blocks of a column-major matrix with a power-of-two row count).
    pub l2_ways: usize,
    /// Last-level cache, the whole of it (shared by the cores listed with it).
    pub l3: usize,
    /// Where the sizes came from.
    pub source: CacheSource,
}

impl CacheSizes {
    /// The sizes assumed when the machine's cannot be read: 32 KiB 8-way L1d, 512 KiB 8-way
    /// L2 and 8 MiB L3, at or below every x86_64 server core of the last decade.
    pub const FALLBACK: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l1d_ways: 8,
        l2: 512 << 10,
        l2_ways: 8,
        l3: 8 << 20,
        source: CacheSource::Fallback,
    };

    /// The sizes of this machine, read once per process.
    pub fn detect() -> CacheSizes {
        static SIZES: OnceLock<CacheSizes> = OnceLock::new();
        *SIZES.get_or_init(|| {
            read_sysfs(Path::new("/sys/devices/system/cpu/cpu0/cache"))
                .unwrap_or(CacheSizes::FALLBACK)
        })
    }
}

/// The caches listed under `dir` (`index0`, `index1`, ... each with `level`, `type` and
/// `size` files, and `ways_of_associativity`), or `None` unless both L1d and L2 are found.
/// A missing L3 (some small parts have none) counts as the L2's size; a missing or
/// implausible L1d or L2 associativity (0, as some hypervisors report, or more ways than
/// lines) counts as 8.
pub fn read_sysfs(dir: &Path) -> Option<CacheSizes> {
    let (mut l1d, mut l2, mut l3) = (None, None, None);
    let (mut l1d_ways, mut l2_ways) = (None, None);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let read = |name: &str| std::fs::read_to_string(path.join(name)).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        if kind.trim() == "Instruction" {
            continue;
        }
        let Some(bytes) = parse_size(size.trim()) else {
            continue;
        };
        let ways = || {
            read("ways_of_associativity")
                .and_then(|w| w.trim().parse::<usize>().ok())
                .filter(|&w| w > 0 && w <= bytes / 64)
        };
        match level.trim() {
            "1" => {
                l1d = Some(bytes);
                l1d_ways = ways();
            }
            "2" => {
                l2 = Some(bytes);
                l2_ways = ways();
            }
            "3" => l3 = Some(bytes),
            _ => {}
        }
    }
    let (l1d, l2) = (l1d?, l2?);
    Some(CacheSizes {
        l1d,
        l1d_ways: l1d_ways.unwrap_or(8),
        l2,
        l2_ways: l2_ways.unwrap_or(8),
        l3: l3.unwrap_or(l2),
        source: CacheSource::Sysfs,
    })
}

/// `"48K"`, `"2048K"`, `"32M"` or a plain byte count, as sysfs writes sizes.
fn parse_size(text: &str) -> Option<usize> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let n: usize = digits.parse().ok()?;
    let scale = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale).filter(|&b| b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_sysfs_writes_them() {
        assert_eq!(parse_size("48K"), Some(48 << 10));
        assert_eq!(parse_size("32M"), Some(32 << 20));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("0K"), None);
        assert_eq!(parse_size("12Q"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn a_sysfs_tree_is_read_skipping_the_instruction_cache() {
        let dir = std::env::temp_dir().join(format!("simd-kernels-cache-{}", std::process::id()));
        let caches = [
            ("index0", "1", "Data", "48K", "12"),
            ("index1", "1", "Instruction", "32K", "8"),
            ("index2", "2", "Unified", "2048K", "16"),
            ("index3", "3", "Unified", "105M", "15"),
        ];
        for (name, level, kind, size, ways) in caches {
            let d = dir.join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("level"), format!("{level}\n")).unwrap();
            std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
            std::fs::write(d.join("size"), format!("{size}\n")).unwrap();
            std::fs::write(d.join("ways_of_associativity"), format!("{ways}\n")).unwrap();
        }
        let got = read_sysfs(&dir).unwrap();
        // A hypervisor that reports no associativity: the fallback's 8 ways.
        std::fs::write(dir.join("index0").join("ways_of_associativity"), "0\n").unwrap();
        let zero_ways = read_sysfs(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(zero_ways.l1d_ways, 8);
        assert_eq!(
            got,
            CacheSizes {
                l1d: 48 << 10,
                l1d_ways: 12,
                l2: 2 << 20,
                l2_ways: 16,
                l3: 105 << 20,
                source: CacheSource::Sysfs
            }
        );
        assert_eq!(read_sysfs(&dir.join("missing")), None);
    }

    #[test]
    fn this_machine_reports_plausible_sizes() {
        let c = CacheSizes::detect();
        assert!(c.l1d >= 8 << 10 && c.l1d <= c.l2 && c.l2 <= c.l3, "{c:?}");
        assert!(c.l1d_ways >= 1 && c.l1d_ways <= c.l1d / 64, "{c:?}");
        assert!(c.l2_ways >= 1 && c.l2_ways <= c.l2 / 64, "{c:?}");
    }
}
