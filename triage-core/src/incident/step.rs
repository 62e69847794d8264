//! The seven workflow steps: the one table of their journal names and screen titles.

/// A workflow step (DESIGN.md). Its journal name ([`Step::name`], lowercase) and its
/// screen title ([`Step::title`]) are both contracts; the order is the workflow's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// What is abnormal now.
    Detect,
    /// Tell others who is on it.
    Report,
    /// Where it is, what changed, how wide the impact.
    Scope,
    /// Error logs and kernel events.
    Logs,
    /// Live processes, listeners, connections.
    State,
    /// Checks and fixes from the runbooks.
    Fix,
    /// What happened and what to do next time.
    Postmortem,
}

/// (journal name, screen title), in [`Step`] order: the one table both derive from.
const STEP_NAMES: [(&str, &str); 7] = [
    ("detect", "Detect"),
    ("report", "Report"),
    ("scope", "Scope"),
    ("logs", "Logs"),
    ("state", "State"),
    ("fix", "Fix"),
    ("postmortem", "Postmortem"),
];

impl Step {
    /// Every step, in workflow order.
    pub const ALL: [Step; 7] = [
        Step::Detect,
        Step::Report,
        Step::Scope,
        Step::Logs,
        Step::State,
        Step::Fix,
        Step::Postmortem,
    ];

    /// The name the journal's `step` events use.
    pub const fn name(self) -> &'static str {
        STEP_NAMES[self as usize].0
    }

    /// The name on screen.
    pub const fn title(self) -> &'static str {
        STEP_NAMES[self as usize].1
    }

    /// 1-based, as the step list shows it and the digit keys jump to it.
    pub const fn number(self) -> usize {
        self as usize + 1
    }

    /// The step a journal name means.
    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The step after this one, wrapping after the last.
    pub fn next(self) -> Step {
        Step::ALL[(self as usize + 1) % Step::ALL.len()]
    }

    /// The step before this one, wrapping before the first.
    pub fn prev(self) -> Step {
        Step::ALL[(self as usize + Step::ALL.len() - 1) % Step::ALL.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_are_the_journal_and_screen_contract() {
        let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "detect",
                "report",
                "scope",
                "logs",
                "state",
                "fix",
                "postmortem"
            ]
        );
        let titles: Vec<&str> = Step::ALL.iter().map(|s| s.title()).collect();
        assert_eq!(
            titles,
            [
                "Detect",
                "Report",
                "Scope",
                "Logs",
                "State",
                "Fix",
                "Postmortem"
            ]
        );
        for (i, s) in Step::ALL.into_iter().enumerate() {
            assert_eq!(s.number(), i + 1);
            assert_eq!(Step::from_name(s.name()), Some(s));
            assert_eq!(s.next().prev(), s);
        }
        assert_eq!(Step::Postmortem.next(), Step::Detect);
        assert_eq!(Step::Detect.prev(), Step::Postmortem);
        assert_eq!(Step::from_name("Detect"), None);
    }
}
