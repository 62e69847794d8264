//! The words code puts into a postmortem, in English and Japanese. Headings and the
//! surrounding prose live in the templates; this is only what sections rendered by code
//! need (event names, table headers, hints, action-item suggestions).

use std::collections::BTreeMap;

use super::Lang;
use crate::snapshot::{Finding, Severity};

/// The fixed words of one language: headings, labels, TODO lines and the patterns of
/// proposed action items (their `{key}`s filled by [`fill`]). There is one per [`Lang`].
#[derive(Debug)]
pub struct Text {
    pub(crate) open: &'static str,
    pub(crate) closed: &'static str,
    pub(crate) closed_event: &'static str,
    pub(crate) ongoing: &'static str,
    pub(crate) opened: &'static str,
    pub(crate) step: &'static str,
    pub(crate) started: &'static str,
    pub(crate) done: &'static str,
    pub(crate) note: &'static str,
    pub(crate) reported: &'static str,
    pub(crate) snapshot: &'static str,
    pub(crate) findings: &'static str,
    pub(crate) finding: &'static str,
    pub(crate) command: &'static str,
    pub(crate) impact: &'static str,
    pub(crate) event: &'static str,
    pub(crate) exit: &'static str,
    pub(crate) no_exit: &'static str,
    pub(crate) ok: &'static str,
    pub(crate) failed: &'static str,
    pub(crate) from_snapshot: &'static str,
    pub(crate) from_events: &'static str,
    pub(crate) no_findings: &'static str,
    pub(crate) hints_findings: &'static str,
    pub(crate) hints_changes: &'static str,
    pub(crate) more: &'static str,
    pub(crate) fixes: &'static str,
    pub(crate) no_fix: &'static str,
    pub(crate) checks: &'static str,
    pub(crate) typed: &'static str,
    pub(crate) output_cut: &'static str,
    pub(crate) no_output: &'static str,
    pub(crate) runbook: &'static str,
    pub(crate) table_head: &'static str,
    pub(crate) proposed: &'static str,
    pub(crate) recorded: &'static str,
    pub(crate) legend: &'static str,
    pub(crate) action: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) ticket: &'static str,
    pub(crate) owner_todo: &'static str,
    pub(crate) runbook_update: &'static str,
    pub(crate) runbook_write: &'static str,
    pub(crate) figures_head: &'static str,
    pub(crate) no_later: &'static str,
    pub(crate) no_snapshot: &'static str,
    pub(crate) load: &'static str,
    pub(crate) cpu: &'static str,
    pub(crate) memory: &'static str,
    pub(crate) swap: &'static str,
    pub(crate) disk: &'static str,
    pub(crate) snapshots: &'static str,
    pub(crate) problems: &'static str,
}

/// English.
pub(crate) const EN: Text = Text {
    open: "open",
    closed: "closed",
    closed_event: "Incident closed",
    ongoing: "still open",
    opened: "Incident opened",
    step: "Step",
    started: "started",
    done: "done",
    note: "Note",
    reported: "Reported",
    snapshot: "Snapshot saved",
    findings: "findings",
    finding: "Finding first seen",
    command: "Command",
    impact: "Impact recorded",
    event: "Event",
    exit: "exit",
    no_exit: "no exit code (killed at its timeout or not started)",
    ok: "succeeded",
    failed: "failed",
    from_snapshot: "Findings of the first snapshot, {file} ({time}):",
    from_events: "Findings recorded in the journal (no snapshot was readable):",
    no_findings: "TODO: No finding was recorded; say what showed the problem.",
    hints_findings: "Hints from the journal (what was abnormal, not a conclusion):",
    hints_changes: "Changes recorded before the incident opened, newest first (from the first snapshot):",
    more: "… and {n} more",
    fixes: "Fix commands",
    no_fix: "TODO: No fix command was recorded; describe what fixed it.",
    checks: "Checks",
    typed: "Other commands run",
    output_cut: "… {n} more lines in the journal",
    no_output: "(no output)",
    runbook: "runbook",
    table_head: "| Item | Kind | Owner | Ticket | Priority | Status |\n|---|---|---|---|---|---|",
    proposed: "proposed",
    recorded: "recorded",
    legend: "✍ marks what a person wrote; the other lines were recorded by triage. Each line links to its evidence: its journal line and, for snapshots and findings, the snapshot file (in `incidents/{id}/` of the triage state directory). Phases come from the journal: Detection until the status report or the first check, Diagnosis until the first fix command, Repair until the last fix that succeeded, Recovery until the close.",
    action: "Action item",
    owner: "owner",
    ticket: "ticket",
    owner_todo: "TODO: Give each action item an owner and a priority; delete the ones you will not do.",
    runbook_update: "Update runbook `{id}` ({title}) with what was learned",
    runbook_write: "Write a runbook for `{id}` (none matched)",
    figures_head: "| Figure | At detection ({first}) | At close ({last}) |\n|---|---|---|",
    no_later: "(no later snapshot)",
    no_snapshot: "No snapshot was saved during the incident.",
    load: "Load (1/5/15 min)",
    cpu: "CPU busy / iowait",
    memory: "Memory used",
    swap: "Swap used",
    disk: "Fullest disk",
    snapshots: "Saved snapshots (relative to the incident directory `incidents/{id}/` in the triage state directory):",
    problems: "Not everything could be read; this postmortem is built from the rest:",
};

/// Japanese.
pub(crate) const JA: Text = Text {
    open: "対応中",
    closed: "終了",
    closed_event: "障碍対応終了",
    ongoing: "対応中",
    opened: "障碍対応開始",
    step: "ステップ",
    started: "開始",
    done: "完了",
    note: "メモ",
    reported: "報告",
    snapshot: "スナップショット保存",
    findings: "検出項目",
    finding: "検出",
    command: "コマンド",
    impact: "影響範囲を記録",
    event: "イベント",
    exit: "終了コード",
    no_exit: "終了コードなし（タイムアウトで停止、または未実行）",
    ok: "成功",
    failed: "失敗",
    from_snapshot: "最初のスナップショット {file}（{time}）の検出項目:",
    from_events: "ジャーナルに記録された検出項目（読めるスナップショットなし）:",
    no_findings: "TODO: 検出項目の記録がありません。何で異常に気付いたかを書いてください。",
    hints_findings: "ジャーナルからの手がかり（異常だった点であり、結論ではありません）:",
    hints_changes: "障碍対応開始より前に記録された変更（新しい順、最初のスナップショットより）:",
    more: "… ほか {n} 件",
    fixes: "対処コマンド",
    no_fix: "TODO: 対処コマンドの記録がありません。何をして復旧したかを書いてください。",
    checks: "確認コマンド",
    typed: "その他の実行コマンド",
    output_cut: "… 残り {n} 行はジャーナルを参照",
    no_output: "（出力なし）",
    runbook: "ランブック",
    table_head: "| 対策 | 種類 | 担当 | チケット | 優先度 | 状態 |\n|---|---|---|---|---|---|",
    proposed: "提案",
    recorded: "登録済み",
    legend: "✍ は人が書いた行、それ以外は triage が記録した行です。各行のリンクは根拠（ジャーナルの行、スナップショットと検出はスナップショットのファイル。triage の状態ディレクトリの `incidents/{id}/` にあります）です。段階はジャーナルから決めています：状況報告か最初の確認までが検知、最初の対処コマンドまでが調査、成功した最後の対処までが対処、終了までが回復確認です。",
    action: "対策",
    owner: "担当",
    ticket: "チケット",
    owner_todo: "TODO: 各対策の担当と優先度を決めてください。実施しないものは削除してください。",
    runbook_update: "ランブック `{id}`（{title}）に今回の知見を反映する",
    runbook_write: "`{id}` 用のランブックを作成する（該当なし）",
    figures_head: "| 指標 | 検知時（{first}） | 終了時（{last}） |\n|---|---|---|",
    no_later: "（後のスナップショットなし）",
    no_snapshot: "障碍対応中に保存されたスナップショットはありません。",
    load: "ロードアベレージ（1/5/15分）",
    cpu: "CPU 使用率 / iowait",
    memory: "メモリ使用量",
    swap: "スワップ使用量",
    disk: "最も使用率の高いディスク",
    snapshots:
        "保存済みスナップショット（triage の状態ディレクトリ内 `incidents/{id}/` からの相対パス）:",
    problems: "読めなかったものがあります。この報告書は残りから作成しました:",
};

impl Lang {
    /// The words of this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::Ja => &JA,
        }
    }

    /// A step's journal name as shown: translated in Japanese, capitalised in English; a
    /// name this version does not know is kept as written.
    pub fn step_name(self, step: &str) -> String {
        let ja = match step {
            "detect" => "検知",
            "report" => "報告",
            "scope" => "影響範囲の特定",
            "logs" => "ログ確認",
            "state" => "状態確認",
            "fix" => "対処",
            "postmortem" => "事後報告",
            other => other,
        };
        match self {
            Lang::Ja => ja.to_string(),
            Lang::En => {
                let mut c = step.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
        }
    }

    /// A duration as `1h 23m` / `1時間23分`.
    pub fn duration(self, secs: u64) -> String {
        match self {
            Lang::En => crate::fmt::duration(secs),
            Lang::Ja => {
                let (d, h, m, s) = crate::fmt::split_duration(secs);
                if d > 0 {
                    format!("{d}日{h}時間")
                } else if h > 0 {
                    format!("{h}時間{m}分")
                } else if m > 0 {
                    format!("{m}分{s}秒")
                } else {
                    format!("{s}秒")
                }
            }
        }
    }

    /// A suggested priority for an action item about a finding of `severity`.
    pub fn priority(self, severity: Severity) -> &'static str {
        match severity {
            Severity::Critical => "P1",
            Severity::Warning => "P2",
            Severity::Info => "P3",
        }
    }

    /// A suggested action item that would have prevented or caught `finding` earlier
    /// (the catalogue's countermeasure).
    pub fn suggestion(self, f: &Finding) -> String {
        let (en, ja) = crate::findings::catalogue::countermeasure(f);
        match self {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

/// Replace `{key}` in `pattern` with each value. Keys without a value stay as written;
/// values are put in as they are (escape them before when they are untrusted).
pub fn fill(pattern: &str, values: &[(&str, &str)]) -> String {
    let mut out = pattern.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Impact answers as a Markdown list, one `- **question**: answer` line each, in question
/// order, each answer folded onto one line and escaped like the timeline's copy of it (an
/// answer starting with `<!--` or `#` must not hide or restructure the rest of the ticket).
pub fn answers(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(q, a)| {
            format!(
                "- **{}**: {}",
                crate::sanitize::md_inline(q.trim()),
                crate::sanitize::md_inline(&one_line(a))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `s` with every run of whitespace (newlines included) made one space and the ends
/// trimmed: for text that must stay on one line (titles, legends, search hits).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impact_answers_cannot_forge_markdown() {
        let map = BTreeMap::from([(
            "Who was affected?".to_string(),
            "<!-- everyone\n# OK".to_string(),
        )]);
        let out = answers(&map);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("\\<!--"), "{out}");
    }
}
