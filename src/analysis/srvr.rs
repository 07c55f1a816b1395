//! The semantic robustness volume ratio (SPEC §5).
//!
//! For network C and class k, SRVR is the mean volume of the robust regions found over the
//! shapes of class k, the initial points and the methods, divided by |Ω|; a network's SRVR
//! is the mean over its classes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::region::Method;

/// Which network on which shape of which class: one job of a benchmark, one map of a folder
/// of maps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId {
    pub network: String,
    pub class: String,
    pub shape: String,
}

impl JobId {
    pub fn new(network: &str, class: &str, shape: &str) -> JobId {
        JobId {
            network: network.to_string(),
            class: class.to_string(),
            shape: shape.to_string(),
        }
    }

    /// `<network>/<class>/<shape>`: the job's file under a results folder's `jobs/` (and a
    /// map's under a folder of maps), without `.json`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.network, self.class, self.shape)
    }

    /// The same shape under another network.
    pub fn on(&self, network: &str) -> JobId {
        JobId {
            network: network.to_string(),
            ..self.clone()
        }
    }
}

/// One robust region found for (network, class, shape), as a fraction of the domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRecord {
    #[serde(flatten)]
    pub job: JobId,
    pub method: Method,
    pub init: Vec<f64>,
    /// |D| / |Ω|.
    pub volume_ratio: f64,
    /// What certified SRVR counts: `volume_ratio` when the region is certified, else 0;
    /// `None` when it was not assessed (SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_ratio: Option<f64>,
    /// What clean SRVR counts (certified region, else its certified clean box, else 0);
    /// `None` when no clean box was sought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_ratio: Option<f64>,
}

/// A shape left out of SRVR by the acceptance rule (SPEC §7: mean map score below the threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedShape {
    #[serde(flatten)]
    pub job: JobId,
    pub mean_score: f64,
}

/// SRVR of one class for one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSrvr {
    pub class: String,
    /// Mean of `volume_ratio` over the class' accepted shapes, starts and methods; `None`
    /// (JSON `null`) when the acceptance rule left no shape of the class.
    pub srvr: Option<f64>,
    /// Accepted shapes that contributed.
    pub shapes: usize,
    /// Shapes left out by the acceptance rule.
    pub rejected: usize,
    /// Regions that contributed (shapes × starts × methods).
    pub regions: usize,
    /// Mean of the regions' certified volume ratios (uncertified regions count 0); `None`
    /// unless every region was assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_srvr: Option<f64>,
    /// Mean of the regions' clean volume ratios; `None` unless every region has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_srvr: Option<f64>,
}

/// SRVR of one network: the mean over its classes that have accepted shapes (`None` when
/// none has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSrvr {
    pub network: String,
    pub srvr: Option<f64>,
    /// The mean of the classes' certified SRVR, over the classes that have an SRVR; `None`
    /// unless each of them has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_srvr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_srvr: Option<f64>,
    pub classes: Vec<ClassSrvr>,
}

/// The SRVR figures, networks and classes in name order (the report,
/// `crate::analysis::srvr_report::SrvrReport`, adds each shape's map numbers to them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrvrTable {
    pub networks: Vec<NetworkSrvr>,
}

/// Aggregates region records into SRVR per class and per network.
///
/// Every record weighs the same inside its class, so with the same starts and methods for
/// every shape the class figure is the mean over shapes of the per-shape means. Rejected
/// shapes are counted; a class whose shapes were all rejected has no SRVR and does not enter
/// its network's mean.
pub fn aggregate(records: &[RegionRecord], rejected: &[RejectedShape]) -> SrvrTable {
    #[derive(Default)]
    struct Acc<'a> {
        sum: f64,
        certified: Option<f64>,
        clean: Option<f64>,
        regions: usize,
        shapes: BTreeSet<&'a str>,
        rejected: usize,
    }
    let mut table: BTreeMap<&str, BTreeMap<&str, Acc>> = BTreeMap::new();
    for r in records {
        let acc = table
            .entry(&r.job.network)
            .or_default()
            .entry(&r.job.class)
            .or_default();
        acc.certified = known_sum(acc.regions, acc.certified, r.certified_ratio);
        acc.clean = known_sum(acc.regions, acc.clean, r.clean_ratio);
        acc.sum += r.volume_ratio;
        acc.regions += 1;
        acc.shapes.insert(&r.job.shape);
    }
    for r in rejected {
        table
            .entry(&r.job.network)
            .or_default()
            .entry(&r.job.class)
            .or_default()
            .rejected += 1;
    }
    let networks = table
        .into_iter()
        .map(|(network, classes)| {
            let classes: Vec<ClassSrvr> = classes
                .into_iter()
                .map(|(class, acc)| ClassSrvr {
                    class: class.to_string(),
                    srvr: (acc.regions > 0).then(|| acc.sum / acc.regions as f64),
                    shapes: acc.shapes.len(),
                    rejected: acc.rejected,
                    regions: acc.regions,
                    certified_srvr: acc.certified.map(|s| s / acc.regions as f64),
                    clean_srvr: acc.clean.map(|s| s / acc.regions as f64),
                })
                .collect();
            let measured: Vec<&ClassSrvr> = classes.iter().filter(|c| c.srvr.is_some()).collect();
            let mean_of = |of: fn(&ClassSrvr) -> Option<f64>| -> Option<f64> {
                let xs: Option<Vec<f64>> = measured.iter().map(|c| of(c)).collect();
                xs.filter(|v| !v.is_empty())
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            };
            NetworkSrvr {
                network: network.to_string(),
                srvr: mean_of(|c| c.srvr),
                certified_srvr: mean_of(|c| c.certified_srvr),
                clean_srvr: mean_of(|c| c.clean_srvr),
                classes,
            }
        })
        .collect();
    SrvrTable { networks }
}

/// The running sum of a figure every record must have: `None` as soon as one record (of
/// `seen` before this one) lacks it.
fn known_sum(seen: usize, sum: Option<f64>, x: Option<f64>) -> Option<f64> {
    match (seen, sum, x) {
        (0, _, x) => x,
        (_, Some(s), Some(x)) => Some(s + x),
        _ => None,
    }
}

/// Which shapes enter SRVR (SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptBy {
    /// The paper's rule: one reference network's mean map score decides, once, which shapes
    /// form the dataset, and every network is scored on exactly those shapes.
    Network(String),
    /// Each network keeps the shapes it scores ≥ the threshold on itself. Not the paper's
    /// rule: it drops the shapes a weak network fails on and so inflates its SRVR.
    Each,
    /// Every shape counts.
    All,
}

impl std::str::FromStr for AcceptBy {
    type Err = String;

    /// `each`, `none` (every shape counts) or a network name.
    fn from_str(text: &str) -> Result<AcceptBy, String> {
        match text.trim() {
            "" => Err("give a network name, `each` or `none`".into()),
            "each" => Ok(AcceptBy::Each),
            "none" => Ok(AcceptBy::All),
            name => Ok(AcceptBy::Network(name.to_string())),
        }
    }
}

impl AcceptBy {
    /// Whether the rule keeps a shape for `network`'s job, given each network's mean map score
    /// on that shape (`score_of`); `None` when the deciding score is missing (an unfinished
    /// job). The one statement of the rule (SPEC §7): the report and the page both ask it.
    pub fn decides(
        &self,
        threshold: f64,
        network: &str,
        score_of: impl Fn(&str) -> Option<f64>,
    ) -> Option<bool> {
        let deciding = match self {
            AcceptBy::Network(reference) => reference.as_str(),
            AcceptBy::Each => network,
            AcceptBy::All => return Some(true),
        };
        score_of(deciding).map(|m| m >= threshold)
    }

    /// The rule's name in reports.
    pub fn rule(&self) -> AcceptRule {
        match self {
            AcceptBy::Network(_) => AcceptRule::Reference,
            AcceptBy::Each => AcceptRule::Each,
            AcceptBy::All => AcceptRule::None,
        }
    }
}

/// The acceptance rule's name in reports: `reference` (the paper's), `each` or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcceptRule {
    Reference,
    Each,
    None,
}

impl std::fmt::Display for AcceptBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AcceptBy::Network(n) => f.write_str(n),
            AcceptBy::Each => f.write_str("each"),
            AcceptBy::All => f.write_str("none"),
        }
    }
}

/// `name` lower-cased without separators: `ResNet50`, `resnet-50` and `resnet_50` are one.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The default reference network (SPEC §7): ResNet50 when it is among `networks` (in any
/// spelling: `resnet50`, `ResNet50`, `resnet-50`), else the first one.
pub fn default_reference(networks: &[String]) -> Option<String> {
    networks
        .iter()
        .find(|n| normalised(n) == "resnet50")
        .or(networks.first())
        .cloned()
}

/// One shape's mean map score under one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeScore {
    #[serde(flatten)]
    pub job: JobId,
    pub mean_score: f64,
}

/// Why an acceptance rule cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    #[error("reference network {name:?} is not among the networks ({})", .networks.join(", "))]
    UnknownNetwork { name: String, networks: Vec<String> },
    #[error("acceptance threshold {0} is not in [0, 1]")]
    Threshold(f64),
}

/// What the acceptance rule decided, as the report states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptanceSummary {
    /// `reference` (the paper's), `each` or `none`.
    pub rule: AcceptRule,
    /// The network whose scores decided (rule `reference`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The acceptance threshold τ: a shape counts when the deciding map's mean score is at
    /// least τ (configuration key `acceptance.min_mean_score`, under which it is also saved).
    #[serde(rename = "min_mean_score")]
    pub threshold: f64,
    /// Shapes in the dataset after the rule (rule `each`: counted per network instead).
    pub kept: usize,
    /// Distinct shapes seen.
    pub shapes: usize,
}

/// The acceptance rule applied to a set of shape scores.
#[derive(Debug, Clone)]
pub struct Acceptance {
    by: AcceptBy,
    /// The acceptance threshold τ.
    threshold: f64,
    /// Rule `reference`: the reference network's score per (class, shape).
    reference: BTreeMap<(String, String), f64>,
    shapes: BTreeSet<(String, String)>,
}

impl Acceptance {
    /// Checks that a reference network named by `by` is among `networks`.
    pub fn check_network(by: &AcceptBy, networks: &[String]) -> Result<(), AcceptanceError> {
        match by {
            AcceptBy::Network(name) if !networks.contains(name) => {
                Err(AcceptanceError::UnknownNetwork {
                    name: name.clone(),
                    networks: networks.to_vec(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The rule `by` with the acceptance threshold τ `threshold` over `scores` (every network's). Under
    /// the reference rule, shapes the reference network has no score for yet (an unfinished
    /// shard) are left out.
    pub fn new(
        by: AcceptBy,
        threshold: f64,
        scores: &[ShapeScore],
    ) -> Result<Acceptance, AcceptanceError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(AcceptanceError::Threshold(threshold));
        }
        let mut reference = BTreeMap::new();
        if let AcceptBy::Network(name) = &by {
            for s in scores.iter().filter(|s| &s.job.network == name) {
                reference.insert((s.job.class.clone(), s.job.shape.clone()), s.mean_score);
            }
        }
        let shapes = scores
            .iter()
            .map(|s| (s.job.class.clone(), s.job.shape.clone()))
            .collect();
        Ok(Acceptance {
            by,
            threshold,
            reference,
            shapes,
        })
    }

    pub fn by(&self) -> &AcceptBy {
        &self.by
    }

    /// Whether `s` enters SRVR. Under the reference rule a shape the reference network has
    /// no score for (an unfinished shard) is left out.
    pub fn keeps(&self, s: &ShapeScore) -> bool {
        let key = (s.job.class.clone(), s.job.shape.clone());
        self.by
            .decides(self.threshold, &s.job.network, |network| match &self.by {
                AcceptBy::Network(_) => self.reference.get(&key).copied(),
                _ if network == s.job.network => Some(s.mean_score),
                _ => None,
            })
            .unwrap_or(false)
    }

    pub fn summary(&self) -> AcceptanceSummary {
        let kept = match &self.by {
            AcceptBy::Network(_) => self
                .reference
                .values()
                .filter(|&&m| m >= self.threshold)
                .count(),
            AcceptBy::Each | AcceptBy::All => self.shapes.len(),
        };
        AcceptanceSummary {
            rule: self.by.rule(),
            network: match &self.by {
                AcceptBy::Network(n) => Some(n.clone()),
                _ => None,
            },
            threshold: self.threshold,
            kept,
            shapes: self.shapes.len(),
        }
    }
}

impl AcceptanceSummary {
    /// The rule as it was applied (`None`: rule `reference` without its network, which no
    /// report semrob writes has).
    pub fn by(&self) -> Option<AcceptBy> {
        match (self.rule, &self.network) {
            (AcceptRule::Reference, Some(n)) => Some(AcceptBy::Network(n.clone())),
            (AcceptRule::Reference, None) => None,
            (AcceptRule::Each, _) => Some(AcceptBy::Each),
            (AcceptRule::None, _) => Some(AcceptBy::All),
        }
    }

    /// One sentence for a report: which rule, which network, how many shapes.
    pub fn sentence(&self) -> String {
        match self.by() {
            Some(AcceptBy::Network(n)) => format!(
                "Acceptance (SPEC §7): {n} decided; it kept {} of {} shapes (mean map score ≥ τ = {}), and every network is scored on those.",
                self.kept, self.shapes, self.threshold
            ),
            Some(AcceptBy::Each) => format!(
                "Acceptance: each network kept the shapes it scores ≥ τ = {} on itself (not the paper's rule: it inflates weak networks).",
                self.threshold
            ),
            _ => format!("Acceptance: none; all {} shapes count.", self.shapes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(network: &str, class: &str, shape: &str, method: &str, v: f64) -> RegionRecord {
        RegionRecord {
            job: JobId::new(network, class, shape),
            method: method.parse().expect("a method name"),
            init: vec![0.0],
            volume_ratio: v,
            certified_ratio: None,
            clean_ratio: None,
        }
    }

    #[test]
    fn class_is_mean_over_shapes_starts_methods_and_network_is_mean_over_classes() {
        let records = vec![
            rec("net", "cup", "a", "naive", 0.1),
            rec("net", "cup", "a", "oir-b", 0.3),
            rec("net", "cup", "b", "naive", 0.2),
            rec("net", "cup", "b", "oir-b", 0.6),
            rec("net", "vase", "c", "naive", 0.5),
            rec("other", "vase", "c", "naive", 0.25),
        ];
        let rejected = vec![RejectedShape {
            job: JobId::new("net", "bench", "z"),
            mean_score: 0.01,
        }];
        let report = aggregate(&records, &rejected);
        assert_eq!(report.networks.len(), 2);
        let net = &report.networks[0];
        assert_eq!(net.network, "net");
        let close = |x: Option<f64>, want: f64| (x.unwrap() - want).abs() < 1e-15;
        assert_eq!(net.classes[0].class, "bench");
        assert_eq!(net.classes[0].srvr, None);
        assert_eq!((net.classes[0].shapes, net.classes[0].rejected), (0, 1));
        assert!(close(net.classes[1].srvr, 0.3));
        assert_eq!(net.classes[1].shapes, 2);
        assert_eq!(net.classes[1].regions, 4);
        assert!(close(net.classes[2].srvr, 0.5));
        // Mean over measured classes, not over regions: (0.3 + 0.5) / 2, not (1.2 + 0.5) / 5.
        assert!(close(net.srvr, 0.4));
        assert_eq!(report.networks[1].network, "other");
        assert!(close(report.networks[1].srvr, 0.25));
    }

    fn score(network: &str, shape: &str, m: f64) -> ShapeScore {
        ShapeScore {
            job: JobId::new(network, "cup", shape),
            mean_score: m,
        }
    }

    #[test]
    fn the_reference_network_decides_for_every_network() {
        let scores = [
            score("resnet50", "a", 0.5),
            score("resnet50", "b", 0.05),
            score("alexnet", "a", 0.01),
            score("alexnet", "b", 0.9),
        ];
        let by: AcceptBy = "resnet50".parse().unwrap();
        let acc = Acceptance::new(by, 0.1, &scores).unwrap();
        let kept: Vec<bool> = scores.iter().map(|s| acc.keeps(s)).collect();
        assert_eq!(kept, [true, false, true, false]);
        let s = acc.summary();
        assert_eq!((s.rule, s.kept, s.shapes), (AcceptRule::Reference, 1, 2));
        assert!(
            s.sentence().contains("resnet50 decided"),
            "{}",
            s.sentence()
        );

        let each = Acceptance::new(AcceptBy::Each, 0.1, &scores).unwrap();
        let kept: Vec<bool> = scores.iter().map(|s| each.keeps(s)).collect();
        assert_eq!(kept, [true, false, false, true]);
        let all = Acceptance::new("none".parse().unwrap(), 0.1, &scores).unwrap();
        assert!(scores.iter().all(|s| all.keeps(s)));

        let networks = ["alexnet".to_string(), "resnet50".to_string()];
        let e = Acceptance::check_network(&"vgg".parse().unwrap(), &networks).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"vgg\" is not among the networks (alexnet, resnet50)"),
            "{e}"
        );
        Acceptance::check_network(&AcceptBy::Each, &networks).unwrap();
        Acceptance::check_network(&"alexnet".parse().unwrap(), &networks).unwrap();
        assert!(matches!(
            Acceptance::new(AcceptBy::Each, 1.5, &scores),
            Err(AcceptanceError::Threshold(t)) if t == 1.5
        ));
        // A shape the reference has no score for is left out.
        assert!(!acc.keeps(&score("alexnet", "c", 0.9)));
    }

    #[test]
    fn the_summary_names_the_rule_as_before_and_gives_the_rule_back() {
        let scores = [score("a", "s1", 0.5), score("b", "s1", 0.05)];
        for (by, text) in [
            (AcceptBy::Network("a".into()), "reference"),
            (AcceptBy::Each, "each"),
            (AcceptBy::All, "none"),
        ] {
            let acc = Acceptance::new(by.clone(), 0.1, &scores).unwrap();
            let summary = acc.summary();
            assert_eq!(serde_json::to_value(summary.rule).unwrap(), text);
            assert_eq!(summary.by(), Some(by.clone()));
            // The page's question (from the summary) and the report's (`keeps`) agree.
            for s in &scores {
                let score_of = |network: &str| {
                    scores
                        .iter()
                        .find(|t| t.job.network == network && t.job.shape == s.job.shape)
                        .map(|t| t.mean_score)
                };
                let page = summary.by().unwrap().decides(0.1, &s.job.network, score_of);
                assert_eq!(page, Some(acc.keeps(s)), "{by:?} on {}", s.job.network);
            }
        }
        let reference_without_network: AcceptanceSummary = serde_json::from_value(
            serde_json::json!({"rule": "reference", "min_mean_score": 0.1, "kept": 0, "shapes": 0}),
        )
        .unwrap();
        assert_eq!(reference_without_network.by(), None);
    }

    #[test]
    fn resnet50_is_the_default_reference_in_any_spelling_else_the_first_network() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            default_reference(&names(&["alexnet", "ResNet-50", "vgg"])).unwrap(),
            "ResNet-50"
        );
        assert_eq!(
            default_reference(&names(&["lite1", "lite0"])).unwrap(),
            "lite1"
        );
        assert_eq!(default_reference(&[]), None);
        assert_eq!(
            "".parse::<AcceptBy>(),
            Err("give a network name, `each` or `none`".to_string())
        );
        assert_eq!("each".parse::<AcceptBy>().unwrap().to_string(), "each");
        assert_eq!("none".parse::<AcceptBy>().unwrap(), AcceptBy::All);
    }
}
