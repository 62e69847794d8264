//! The key table: reachable, in help, hints that tell the truth.

use super::*;

fn k(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn local_keys_win_on_their_step_only() {
    assert_eq!(action(S::State, &k('s')), Some(A::SortCpu));
    assert_eq!(action(S::Detect, &k('s')), Some(A::Start));
    assert_eq!(action(S::Logs, &k('/')), Some(A::Search));
    assert_eq!(action(S::Detect, &k('/')), None);
    assert_eq!(action(S::Detect, &k('7')), Some(A::Jump(S::Postmortem)));
    assert_eq!(action(S::Scope, &k(' ')), Some(A::Toggle));
    assert_eq!(action(S::Logs, &k(' ')), Some(A::PageDown));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(action(S::Report, &ctrl_c), Some(A::Quit));
    let ctrl_x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert_eq!(action(S::Report, &ctrl_x), None, "Ctrl-X is not x");
    let shift_f = KeyEvent::new(KeyCode::Char('F'), KeyModifiers::SHIFT);
    assert_eq!(action(S::Logs, &shift_f), Some(A::Follow));
}

/// Every key in the table is reachable on some step (not shadowed everywhere by an
/// earlier row) and its row is a help line.
#[test]
fn every_binding_works_somewhere_and_is_in_help() {
    let help: Vec<_> = help().collect();
    for b in BINDINGS {
        assert!(help.contains(&(b.label, b.help)), "{} not in help", b.label);
        assert!(!b.help.is_empty(), "{} has no help text", b.label);
        for (key, act) in b.keys {
            let ev = KeyEvent::new(
                key.code,
                if key.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                },
            );
            assert!(
                S::ALL
                    .iter()
                    .any(|s| b.on.includes(*s) && action(*s, &ev) == Some(*act)),
                "{:?} ({}) never does {act:?}",
                key.code,
                b.label
            );
        }
    }
}

/// A hint shown on a step advertises a key of its row that does that row's thing there.
#[test]
fn hints_come_from_the_table_and_tell_the_truth() {
    for step in S::ALL {
        for (label, text) in hints(step) {
            let row = BINDINGS
                .iter()
                .find(|b| b.hints.iter().any(|h| h.key == label && h.text == text))
                .expect("hint from the table");
            assert!(
                row.keys.iter().any(|(key, act)| {
                    let ev = KeyEvent::new(key.code, KeyModifiers::NONE);
                    !key.ctrl && action(step, &ev) == Some(*act)
                }),
                "{label} {text} does nothing on {step:?}"
            );
        }
    }
    assert_eq!(
        hints(S::State),
        [
            ("s", "sort CPU"),
            ("m", "sort mem"),
            ("p", "sort pid"),
            ("j/k", "scroll"),
            ("Tab", "step"),
            ("n", "note"),
            ("d", "done"),
            ("c", "copy status"),
            ("?", "help"),
            ("q", "quit"),
        ]
    );
    assert_eq!(hints(S::Fix)[..2], [("↑/↓", "select"), ("Enter", "run")]);
}
