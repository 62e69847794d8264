//! Parsers for command outputs a sosreport keeps, used when the `proc` file they stand in
//! for is not in the tree (sos copies only some of `/proc`).

use super::filesystems::{is_interesting, Mount};

/// Where a sosreport keeps `mount` output.
pub(crate) const MOUNT_OUTPUTS: &[&str] = &["sos_commands/filesys/mount_-l", "mount"];

/// `mount` output (`/dev/vda1 on / type ext4 (rw,relatime)`) as mounts worth showing,
/// the last mount of a point winning. Lines of another shape are skipped.
pub(crate) fn parse_mount_output(text: &str) -> Vec<Mount> {
    let mut out: Vec<Mount> = Vec::new();
    for line in text.lines() {
        let Some((device, rest)) = line.split_once(" on ") else {
            continue;
        };
        let Some((point, rest)) = rest.rsplit_once(" type ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let Some(fs_type) = words.next() else {
            continue;
        };
        if !is_interesting(fs_type) {
            continue;
        }
        let opts = words.next().unwrap_or_default();
        let read_only = opts
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .any(|o| o == "ro");
        out.retain(|m| m.mount_point != point);
        out.push(Mount {
            mount_point: point.to_string(),
            device: device.trim().to_string(),
            fs_type: fs_type.to_string(),
            read_only,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_output() {
        // Lines from hotsos tests/unit/fake_data_root/openstack/sos_commands/filesys/mount_-l.
        let text = "sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)\n/dev/vda2 on / type ext4 (rw,relatime)\n/dev/vdb on /srv type xfs (ro,relatime) [DATA]\nnot a mount line\n/dev/vdc on /srv type ext4 (rw)\n";
        let m = parse_mount_output(text);
        let points: Vec<&str> = m.iter().map(|m| m.mount_point.as_str()).collect();
        assert_eq!(points, ["/", "/srv"]);
        assert_eq!(m[0].device, "/dev/vda2");
        assert_eq!(m[0].fs_type, "ext4");
        assert!(!m[0].read_only);
        assert_eq!(m[1].device, "/dev/vdc");
    }
}
