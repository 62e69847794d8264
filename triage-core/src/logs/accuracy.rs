//! Grouping accuracy (GA), the measure loghub's benchmark (Zhu et al., "Tools and
//! Benchmarks for Automated Log Parsing", ICSE-SEIP 2019) scores template miners by: a
//! line counts as right only when the set of lines given its template is exactly the set
//! of lines given its true event. The library test, the CLI test and the `template_ga`
//! example all score with this one function so their figures can be compared.

use std::collections::HashMap;
use std::hash::Hash;

/// GA of `predicted[i]` (a template id per line) against `truth[i]` (the labelled event
/// per line), from 0 to 1; 0 for no lines. The two slices are read pairwise: a longer
/// `truth` is ignored past `predicted`'s end.
pub fn grouping_accuracy<P: Hash + Eq, T: AsRef<str>>(predicted: &[P], truth: &[T]) -> f64 {
    let n = predicted.len().min(truth.len());
    let mut groups: HashMap<&P, Vec<usize>> = HashMap::new();
    for (i, p) in predicted[..n].iter().enumerate() {
        groups.entry(p).or_default().push(i);
    }
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for t in &truth[..n] {
        *sizes.entry(t.as_ref()).or_default() += 1;
    }
    let mut correct = 0;
    for members in groups.values() {
        let first = truth[members[0]].as_ref();
        if members.iter().all(|&i| truth[i].as_ref() == first) && sizes[first] == members.len() {
            correct += members.len();
        }
    }
    correct as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::grouping_accuracy;

    #[test]
    fn a_line_counts_only_when_its_whole_group_is_its_whole_event() {
        let truth = ["E1", "E1", "E2", "E3"];
        assert_eq!(grouping_accuracy(&[1, 1, 2, 3], &truth), 1.0);
        // E2 and E3 merged: both lines wrong.
        assert_eq!(grouping_accuracy(&[1, 1, 2, 2], &truth), 0.5);
        // E1 split: both lines wrong.
        assert_eq!(grouping_accuracy(&[1, 4, 2, 3], &truth), 0.5);
        assert_eq!(grouping_accuracy::<u32, &str>(&[], &[]), 0.0);
    }
}
