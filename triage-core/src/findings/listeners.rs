//! `listener_gone`: "is my service still listening?" — a TCP port this host normally
//! listens on (the baseline's usual listeners, from recorded history) that is not
//! listening now.

use super::thresholds as t;
use super::{finding, Context};
use crate::baseline::UsualListener;
use crate::snapshot::{Finding, Listener, Severity, Snapshot};

/// `listener_gone`: one critical finding per usual listener (in at least
/// [`t::LISTENER_USUAL_SHARE`] of [`t::LISTENER_MIN_SAMPLES`] or more samples over the last
/// [`t::LISTENER_WINDOW_HOURS`]) with no TCP listener on its port now (tcp or tcp6, any
/// address). Quiet when the listeners were not collected or there is no baseline.
pub fn listener_gone(s: &Snapshot, c: &Context) -> Vec<Finding> {
    let (Some(b), Some(now)) = (&c.baseline, &s.listeners) else {
        return Vec::new();
    };
    let tcp_now = now.iter().filter(|l| l.protocol.starts_with("tcp")).count();
    b.usual_listeners
        .iter()
        .filter(|u| u.seen_share >= t::LISTENER_USUAL_SHARE && u.samples >= t::LISTENER_MIN_SAMPLES)
        .filter(|u| !now.iter().any(|l| listens_on(l, u.port)))
        .map(|u| gone(u, tcp_now))
        .collect()
}

fn listens_on(l: &Listener, port: u16) -> bool {
    l.port == port && l.protocol.starts_with("tcp")
}

fn gone(u: &UsualListener, tcp_now: usize) -> Finding {
    let port = u.port;
    let who = u
        .process
        .as_ref()
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    // Floor, so 99.6% is not shown as "100%".
    let percent = (u.seen_share * 100.0).floor();
    let span = span(u);
    let mut evidence = vec![
        format!(
            "port {port}{who} was listening in {percent:.0}% of {} recorded sample(s) over the \
             last {span} (triage history); none of the {tcp_now} TCP listener(s) now is on it",
            u.samples
        ),
        format!("check: `ss -ltnp 'sport = :{port}'` (only the header: nothing listens)"),
    ];
    // A process name is whatever the program set (`comm`): suggest commands with it only
    // when it cannot be read by a shell as anything but a word.
    if let Some(p) = u.process.as_ref().filter(|p| plain_word(p)) {
        evidence.push(format!(
            "is {p} running? `pgrep -a {p}`; its unit's log: `journalctl -n 50 _COMM={p}`"
        ));
    }
    let f = finding(
        "listener_gone",
        Severity::Critical,
        format!(
            "port {port}{who} is not listening — it was in {percent:.0}% of samples in the \
             last {span}"
        ),
        evidence,
    )
    .var("port", port);
    match &u.process {
        Some(p) => f.var("process", p),
        None => f,
    }
}

/// What the samples cover: "24 h", "3 h", "12 min" (the window, when not known).
fn span(u: &UsualListener) -> String {
    let seconds = match u.covered_seconds {
        0 => u64::from(u.window_hours) * 3600,
        s => s.min(u64::from(u.window_hours) * 3600),
    };
    if seconds >= 3600 {
        format!("{} h", (seconds + 1800) / 3600)
    } else {
        format!("{} min", seconds.div_ceil(60).max(1))
    }
}

/// True for a non-empty name of letters, digits, `.`, `_` and `-` not starting with `-`.
fn plain_word(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Baseline;
    use crate::findings::{evaluate, tests::healthy};

    fn usual(port: u16, process: Option<&str>, share: f64) -> UsualListener {
        UsualListener {
            port,
            process: process.map(str::to_string),
            seen_share: share,
            samples: 8640,
            window_hours: 24,
            covered_seconds: 24 * 3600 - 10,
        }
    }

    fn context(s: &Snapshot, usual: Vec<UsualListener>) -> Context {
        Context::for_snapshot(s).with_baseline(Some(Baseline {
            usual_listeners: usual,
            ..Baseline::default()
        }))
    }

    fn gone_of(s: &Snapshot, c: &Context) -> Vec<Finding> {
        evaluate(s, c)
            .into_iter()
            .filter(|f| f.id == "listener_gone")
            .collect()
    }

    #[test]
    fn fires_for_a_usual_port_not_listening() {
        // The healthy host listens on tcp 80 only; 5432 usually listens too.
        let s = healthy();
        let c = context(
            &s,
            vec![
                usual(80, Some("nginx"), 1.0),
                usual(5432, Some("postgres"), 0.996),
            ],
        );
        let f = gone_of(&s, &c);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(
            f[0].title,
            "port 5432 (postgres) is not listening — it was in 99% of samples in the last 24 h"
        );
        let evidence = f[0].evidence.join("\n");
        assert!(
            evidence.contains("99% of 8640 recorded sample(s)"),
            "{evidence}"
        );
        assert!(
            evidence.contains("none of the 1 TCP listener(s)"),
            "{evidence}"
        );
        assert!(
            evidence.contains("`ss -ltnp 'sport = :5432'`"),
            "{evidence}"
        );
        assert!(evidence.contains("`pgrep -a postgres`"), "{evidence}");
        assert_eq!(f[0].vars.get("port").map(String::as_str), Some("5432"));
        assert_eq!(
            f[0].vars.get("process").map(String::as_str),
            Some("postgres")
        );
        // Worst first: critical before anything else.
        assert_eq!(evaluate(&s, &c)[0].id, "listener_gone");
    }

    #[test]
    fn unknown_owner_and_odd_names() {
        let s = healthy();
        let c = context(
            &s,
            vec![usual(9000, None, 1.0), usual(9001, Some("a b;rm -rf"), 1.0)],
        );
        let f = gone_of(&s, &c);
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].title,
            "port 9000 is not listening — it was in 100% of samples in the last 24 h"
        );
        assert!(!f[0].vars.contains_key("process"));
        // A name a shell would split is shown, never put in a command.
        assert!(f[1].title.contains("(a b;rm -rf)"));
        assert!(!f[1].evidence.iter().any(|e| e.contains("pgrep")));
    }

    #[test]
    fn a_young_history_says_what_it_covers() {
        let s = healthy();
        let mut young = usual(5432, None, 1.0);
        young.covered_seconds = 47;
        young.samples = 47;
        let mut hours = usual(5433, None, 1.0);
        hours.covered_seconds = 5 * 3600 + 100;
        let f = gone_of(&s, &context(&s, vec![young, hours]));
        assert!(f[0].title.ends_with("in the last 1 min"), "{}", f[0].title);
        assert!(f[1].title.ends_with("in the last 5 h"), "{}", f[1].title);
    }

    #[test]
    fn quiet_when_present_on_any_address_or_family() {
        let mut s = healthy();
        let mut v6 = s.listeners.as_ref().unwrap()[0].clone();
        v6.protocol = "tcp6".into();
        v6.address = "::1".into();
        v6.port = 5432;
        s.listeners.as_mut().unwrap().push(v6);
        let c = context(&s, vec![usual(80, None, 1.0), usual(5432, None, 1.0)]);
        assert!(gone_of(&s, &c).is_empty());
        // A UDP socket on the port does not count as the TCP service.
        let l = &mut s.listeners.as_mut().unwrap()[1];
        l.protocol = "udp6".into();
        assert_eq!(gone_of(&s, &c).len(), 1);
    }

    #[test]
    fn quiet_without_listeners_baseline_or_enough_history() {
        let mut s = healthy();
        // No baseline.
        assert!(gone_of(&s, &Context::for_snapshot(&s)).is_empty());
        // A baseline whose ports are not usual enough, or from too few samples.
        let mut thin = usual(5432, None, 1.0);
        thin.samples = t::LISTENER_MIN_SAMPLES - 1;
        let c = context(&s, vec![usual(5432, None, 0.5), thin]);
        assert!(gone_of(&s, &c).is_empty());
        // Listeners not collected: nothing is known to be gone.
        let c = context(&s, vec![usual(5432, None, 1.0)]);
        assert_eq!(gone_of(&s, &c).len(), 1);
        s.listeners = None;
        assert!(gone_of(&s, &c).is_empty());
    }
}
