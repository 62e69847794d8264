use super::*;

fn utc(s: &str) -> Time {
    chrono::DateTime::parse_from_rfc3339(s).unwrap()
}

#[test]
fn date_outputs_sos_saves() {
    // hotsos tests/unit/fake_data_root/openstack: sos_commands/date/date and the
    // top-level `date` of the same capture.
    assert_eq!(
        parse_date_output("Thu Feb 10 16:19:17 UTC 2022"),
        Some(utc("2022-02-10T16:19:17Z"))
    );
    assert_eq!(
        parse_date_output("2022-02-10 16:19:16.999455+00:00").map(|t| t.timestamp()),
        Some(utc("2022-02-10T16:19:16Z").timestamp())
    );
    assert_eq!(
        parse_date_output("Mon Mar  4 09:05:01 CET 2024"),
        Some(utc("2024-03-04T08:05:01Z"))
    );
    assert_eq!(
        parse_date_output("Mon Mar  4 09:05:01 +0530 2024"),
        Some(utc("2024-03-04T03:35:01Z"))
    );
    // Ambiguous or unknown zone names are not guessed.
    assert_eq!(parse_date_output("Mon Mar  4 09:05:01 CST 2024"), None);
    assert_eq!(parse_date_output("garbage"), None);
    assert_eq!(parse_date_output(""), None);
}

#[test]
fn timedatectl_universal_time() {
    let text = "               Local time: Thu 2022-02-10 16:19:19 UTC\n           Universal time: Thu 2022-02-10 16:19:19 UTC\n                 RTC time: Thu 2022-02-10 16:19:19\n";
    assert_eq!(parse_timedatectl(text), Some(utc("2022-02-10T16:19:19Z")));
}

#[test]
fn uptime_command_output() {
    let hotsos = " 16:19:19 up 17:41,  2 users,  load average: 3.58, 3.27, 2.58\n";
    assert_eq!(parse_uptime_output(hotsos), Some(17 * 3600 + 41 * 60));
    assert_eq!(parse_uptime_load(hotsos), Some([3.58, 3.27, 2.58]));
    assert_eq!(
        parse_uptime_output(" 10:00:00 up 5 days,  3:02,  1 user,  load average: 0.00, 0.01, 0.05"),
        Some(5 * 86_400 + 3 * 3600 + 2 * 60)
    );
    assert_eq!(
        parse_uptime_output(" 10:00:00 up 12 min,  0 users,  load average: 1.00, 1.00, 1.00"),
        Some(720)
    );
    assert_eq!(
        parse_uptime_output(
            " 10:00:00 up 1 day, 12 min,  3 users,  load average: 0,50, 0,40, 0,30"
        ),
        Some(86_400 + 720)
    );
    assert_eq!(
        parse_uptime_load(" 10:00:00 up 1 day, 12 min,  3 users,  load average: 0,50, 0,40, 0,30"),
        Some([0.5, 0.4, 0.3])
    );
    assert_eq!(parse_uptime_output("no uptime here"), None);
    assert_eq!(parse_uptime_output(" 10:00 up banana, 1 user"), None);
    assert_eq!(parse_uptime_load("load average: x, y"), None);
}

#[test]
fn capture_time_prefers_date_then_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("var/log")).unwrap();
    std::fs::write(
        d.join("var/log/syslog"),
        "2022-02-10T16:10:00.000000+00:00 host a: one\n2022-02-10T16:18:59.000000+00:00 host a: two\n",
    )
    .unwrap();
    let root = HostRoot::new(d).unwrap();
    let c = capture_time(&root).unwrap();
    assert!(c.from_logs);
    assert_eq!(c.source, "var/log/syslog");
    assert_eq!(c.at, utc("2022-02-10T16:18:59Z"));
    std::fs::create_dir_all(d.join("sos_commands/date")).unwrap();
    std::fs::write(
        d.join("sos_commands/date/date"),
        "Thu Feb 10 16:19:17 UTC 2022\n",
    )
    .unwrap();
    let c = capture_time(&root).unwrap();
    assert!(!c.from_logs);
    assert_eq!(c.source, "sos_commands/date/date");
    assert_eq!(c.at, utc("2022-02-10T16:19:17Z"));
}
