//! `memory`: `/proc/meminfo` (see `proc(5)`), parsed by `procfs-core`.
//!
//! `MemAvailable` exists since Linux 3.14; on older kernels it is estimated as
//! MemFree + Buffers + Cached − Shmem, the way `free` did before it.

use procfs_core::{FromRead, Meminfo};

use super::Ctx;
use crate::error::{Error, Result};
use crate::snapshot::Memory;

/// Collect the memory section.
pub fn collect(ctx: &Ctx) -> Result<Memory> {
    let path = ctx.root.proc("meminfo");
    let text = match ctx.root.read_proc("meminfo") {
        Ok(t) => t,
        Err(e) if !ctx.root.is_live() => return from_free(ctx).ok_or(e),
        Err(e) => return Err(e),
    };
    let (mem, estimated) = parse(&text).map_err(|m| Error::parse(&path, None, m))?;
    if estimated {
        ctx.warn("MemAvailable missing (kernel older than 3.14): available memory estimated from free + cache");
    }
    Ok(mem)
}

/// Where a sosreport keeps `free` output, and the unit of its figures.
const FREE_OUTPUTS: &[(&str, u64)] = &[
    ("sos_commands/memory/free", 1024),
    ("free", 1024),
    ("sos_commands/memory/free_-m", 1024 * 1024),
];

/// A sosreport without `proc/meminfo`: the figures of its saved `free` output.
fn from_free(ctx: &Ctx) -> Option<Memory> {
    FREE_OUTPUTS.iter().find_map(|(rel, unit)| {
        let mem = ctx
            .root
            .read_string(rel)
            .ok()
            .and_then(|t| parse_free(&t, *unit))?;
        ctx.warn(format!("no proc/meminfo; memory from {rel}"));
        Some(mem)
    })
}

/// `free` output (procps 3.3+: `total used free shared buff/cache available`; older:
/// `total used free shared buffers cached`), figures in `unit` bytes.
pub(crate) fn parse_free(text: &str, unit: u64) -> Option<Memory> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let row = |label: &str| -> Option<Vec<u64>> {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| {
                l.split_whitespace()
                    .skip(1)
                    .map(|v| v.parse::<u64>().ok())
                    .collect::<Option<Vec<u64>>>()
            })?
    };
    let mem = row("Mem:")?;
    let get = |name: &str| col(name).and_then(|i| mem.get(i)).copied();
    let total = get("total")?;
    let available = get("available").or_else(|| {
        // Saturating: the figures come from a `--root` tree's `free` capture.
        let cache =
            get("buff/cache").or_else(|| Some(get("buffers")?.saturating_add(get("cached")?)))?;
        Some(get("free")?.saturating_add(cache))
    })?;
    let available = available.min(total);
    let swap = row("Swap:").unwrap_or_default();
    let scale = |v: u64| v.saturating_mul(unit);
    Some(Memory {
        total_bytes: scale(total),
        available_bytes: scale(available),
        used_bytes: scale(total - available),
        swap_total_bytes: scale(swap.first().copied().unwrap_or(0)),
        swap_free_bytes: scale(swap.get(2).copied().unwrap_or(0)),
    })
}

/// Bytes in one `unit` of a meminfo value, as procfs-core reads them (unknown units are
/// its error to report).
fn unit_bytes(unit: &str) -> u64 {
    match unit {
        "KiB" | "kiB" | "kB" | "KB" => 1 << 10,
        "MiB" | "miB" | "MB" | "mB" => 1 << 20,
        "GiB" | "giB" | "GB" | "gB" => 1 << 30,
        _ => 1,
    }
}

/// Parse `/proc/meminfo`; the flag is true when available memory was estimated.
pub(crate) fn parse(text: &str) -> std::result::Result<(Memory, bool), String> {
    // procfs-core cuts the last byte off each name (the `:`) by byte offset: a name ending
    // in a multi-byte character would panic there, so check the shape first.
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        if let Some(name) = words.next() {
            if !name.ends_with(':') {
                return Err(format!("line {}: {name:?} is not `Name:`", n + 1));
            }
            // procfs-core multiplies by the unit unchecked: a value too big for a byte
            // count would panic (debug) or wrap to a wrong figure (release). Found by the
            // `proc_files` fuzz target (`VmallocTotal: 3435973836759607064 kB`).
            let value = words.next().and_then(|v| v.parse::<u64>().ok());
            let unit = words.next().unwrap_or("B");
            if value.is_some_and(|v| v.checked_mul(unit_bytes(unit)).is_none()) {
                return Err(format!(
                    "line {}: {name} {} {unit} is more bytes than a 64-bit count holds",
                    n + 1,
                    value.unwrap_or_default()
                ));
            }
        }
    }
    let m = Meminfo::from_read(text.as_bytes()).map_err(|e| format!("not a meminfo file: {e}"))?;
    let (available, estimated) = match m.mem_available {
        Some(a) => (a, false),
        None => (
            m.mem_free
                .saturating_add(m.buffers)
                .saturating_add(m.cached)
                .saturating_sub(m.shmem.unwrap_or(0)),
            true,
        ),
    };
    let available = available.min(m.mem_total);
    Ok((
        Memory {
            total_bytes: m.mem_total,
            available_bytes: available,
            used_bytes: m.mem_total - available,
            swap_total_bytes: m.swap_total,
            swap_free_bytes: m.swap_free.min(m.swap_total),
        },
        estimated,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (`proc_files`): procfs-core's unchecked `value * 1024` panicked with
    /// "attempt to multiply with overflow" in a debug build.
    /// `free` without an available column: free + buffers + cached near `u64::MAX`
    /// overflowed in a debug build.
    #[test]
    fn free_figures_near_the_maximum_saturate() {
        let m = u64::MAX;
        let old = format!("             total       used       free     shared    buffers     cached\nMem:          1000        900        {m}          0         {m}        {m}\nSwap:            0          0          0\n");
        let mem = parse_free(&old, 1024).unwrap();
        assert_eq!(mem.available_bytes, 1000 * 1024);
    }

    #[test]
    fn a_value_too_big_for_bytes_is_an_error_not_a_panic() {
        let text = "MemTotal: 8009912 kB\nMemFree: 538760 kB\nMemAvailable: 6820236 kB\nVmallocTotal:   3435973836759607064 kB\n";
        let err = parse(text).unwrap_err();
        assert!(
            err.starts_with("line 4: VmallocTotal: 3435973836759607064 kB"),
            "{err}"
        );
        // Each value fits in bytes, their sum (the estimate without MemAvailable) does not.
        let big = "18014398509481983 kB";
        let no_available = format!("MemTotal: 8 kB\nMemFree: {big}\nBuffers: {big}\nCached: {big}\nSwapCached: 0 kB\nActive: 0 kB\nInactive: 0 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\nDirty: 0 kB\nWriteback: 0 kB\nMapped: 0 kB\nSlab: 0 kB\nCommitLimit: 0 kB\nCommitted_AS: 0 kB\nVmallocTotal: 0 kB\nVmallocUsed: 0 kB\nVmallocChunk: 0 kB\n");
        let (m, estimated) = parse(&no_available).unwrap();
        assert!(estimated);
        assert_eq!(m.available_bytes, 8 * 1024);
    }

    #[test]
    fn free_output_from_a_sosreport() {
        // hotsos tests/unit/fake_data_root/openstack/free (procps 3.3).
        let text = "              total        used        free      shared  buff/cache   available\nMem:       16393164     7474740      185156       44924     8733268     8638440\nSwap:       4194300       67584     4126716\n";
        let m = parse_free(text, 1024).unwrap();
        assert_eq!(m.total_bytes, 16393164 * 1024);
        assert_eq!(m.available_bytes, 8638440 * 1024);
        assert_eq!(m.used_bytes, (16393164 - 8638440) * 1024);
        assert_eq!(m.swap_total_bytes, 4194300 * 1024);
        assert_eq!(m.swap_free_bytes, 4126716 * 1024);
        // procps before 3.3: no available column.
        let old = "             total       used       free     shared    buffers     cached\nMem:          1000        900        100          0         50        250\n-/+ buffers/cache:        600        400\nSwap:            0          0          0\n";
        let m = parse_free(old, 1024 * 1024).unwrap();
        assert_eq!(m.available_bytes, 400 * 1024 * 1024);
        assert!(parse_free("garbage", 1).is_none());
        assert!(parse_free("total\nMem: x\n", 1).is_none());
    }

    #[test]
    fn parses_meminfo_in_bytes() {
        let text = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\nSwapCached:            0 kB\nActive:                0 kB\nInactive:              0 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\nDirty:                 0 kB\nWriteback:             0 kB\nMapped:                0 kB\nSlab:                  0 kB\nCommitLimit:           0 kB\nCommitted_AS:          0 kB\nVmallocTotal:          0 kB\nVmallocUsed:           0 kB\nVmallocChunk:          0 kB\n";
        let (m, est) = parse(text).unwrap();
        assert!(!est);
        assert_eq!(m.total_bytes, 16_000_000 * 1024);
        assert_eq!(m.available_bytes, 4_000_000 * 1024);
        assert_eq!(m.used_bytes, 12_000_000 * 1024);
        assert_eq!(m.swap_free_bytes, 1_500_000 * 1024);
        // Old kernel: no MemAvailable.
        let old = text.replace("MemAvailable:    4000000 kB\n", "");
        let (m, est) = parse(&old).unwrap();
        assert!(est);
        assert_eq!(m.available_bytes, 3_100_000 * 1024);
    }

    #[test]
    fn truncated_meminfo_is_an_error() {
        assert!(parse("MemTotal: 100").is_err());
    }

    #[test]
    fn multibyte_name_is_an_error_with_its_line_not_a_panic() {
        let e = parse("MemTotal: 100 kB\nMemFree\u{e9} 5 kB\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        assert!(parse("MemTotal:\u{1F980} 100 kB\n").is_err());
    }
}
