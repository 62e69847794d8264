//! Action items: typed (`prevent`, `detect`, `mitigate`, `process`), with an owner and a
//! ticket, so they live on in a tracker instead of dying in the document.
//!
//! They come from two places: the journal's `action` events, written by
//! `triage action add --kind prevent --owner alice --ticket OPS-12 TEXT` (an event kind older
//! triage versions keep as unknown and list as is), and triage's own proposals (one per
//! finding, one per matched runbook). `triage postmortem --action-items json` exports them
//! with the fields issue trackers take on creation (GitHub, GitLab, Jira: title, body,
//! labels).
//!
//! Journal line: `{"time":…,"by":…,"kind":"action","type":"prevent","text":…,"owner":…,"ticket":…}`.

use serde::Serialize;

use super::model::Facts;
use super::sections::ActionItem;
use super::Lang;

/// The `kind` of the journal events that record an action item. The journal module does
/// not type it: such events arrive as `EventBody::Other` and `from_fields` reads them.
pub const KIND: &str = "action";
/// The action types, in the order tables list them. Another type found in a journal is
/// kept and shown as written.
pub const TYPES: &[&str] = &["prevent", "detect", "mitigate", "process"];

/// An action item recorded in the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// One of [`TYPES`], or what the journal says; `prevent` when the event has no `type`.
    pub kind: String,
    /// What to do, as written (an event without text is no action item).
    pub text: String,
    /// Who will do it, when the event names someone.
    pub owner: Option<String>,
    /// The tracker's ticket id or URL, once filed.
    pub ticket: Option<String>,
    /// The event's `by`: who journaled the item (not who will do it).
    pub by: Option<String>,
}

/// The fields of a journal `action` event, read from its key/value pairs.
pub(crate) fn from_fields(fields: &[(String, String)], by: Option<&str>) -> Option<Recorded> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty() && v != "null")
    };
    Some(Recorded {
        kind: get("type").unwrap_or_else(|| "prevent".into()),
        text: get("text")?,
        owner: get("owner"),
        ticket: get("ticket"),
        by: by.map(String::from),
    })
}

/// An action item as an issue to create in a tracker.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrackerIssue {
    /// The item's text on one line, cut to 200 characters.
    pub title: String,
    /// Markdown: which incident it comes from, owner and ticket when known, and a note to
    /// edit or drop it when triage proposed it.
    pub body: String,
    /// Labels: `postmortem`, `action:<type>`, `priority:<P>`.
    pub labels: Vec<String>,
    /// The item's type (see [`TYPES`]), also in the `action:<type>` label.
    pub kind: String,
    /// Who will do it, when known (an assignee to map to the tracker's user).
    pub owner: Option<String>,
    /// An existing ticket: when set, the item is already filed.
    pub ticket: Option<String>,
    /// `P1`…`P3` from the finding's severity (critical, warning, info); `P2` for recorded items.
    pub priority: String,
    /// `recorded` (in the journal) or `proposed` (by triage).
    pub source: &'static str,
}

/// Every action item of `facts` as tracker issues.
pub(crate) fn export(facts: &Facts, items: &[ActionItem], lang: Lang) -> Vec<TrackerIssue> {
    items
        .iter()
        .map(|a| {
            let source = if a.status == lang.text().proposed {
                "proposed"
            } else {
                "recorded"
            };
            let mut body = format!(
                "Action item ({}) from the postmortem of incident `{}` on {}: {}.",
                a.kind,
                facts.id,
                super::text::one_line(&facts.host),
                super::text::one_line(&facts.title)
            );
            if let Some(o) = &a.owner {
                body.push_str(&format!("\n\nOwner: {o}"));
            }
            if let Some(t) = &a.ticket {
                body.push_str(&format!("\n\nTicket: {t}"));
            }
            if source == "proposed" {
                body.push_str(
                    "\n\nProposed by triage from the incident's findings; edit or drop it.",
                );
            }
            TrackerIssue {
                title: super::text::one_line(&a.text).chars().take(200).collect(),
                body,
                labels: vec![
                    "postmortem".into(),
                    format!("action:{}", a.kind),
                    format!("priority:{}", a.priority),
                ],
                kind: a.kind.clone(),
                owner: a.owner.clone(),
                ticket: a.ticket.clone(),
                priority: a.priority.to_string(),
                source,
            }
        })
        .collect()
}
