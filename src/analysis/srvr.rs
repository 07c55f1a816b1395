//! The semantic robustness volume ratio (SPEC §5).
//!
//! For network C and class k, SRVR is the mean volume of the robust regions found over the
//! shapes of class k, the initial points and the methods, divided by |Ω|; a network's SRVR
//! is the mean over its classes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One robust region found for (network, class, shape), as a fraction of the domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRecord {
    pub network: String,
    pub class: String,
    pub shape: String,
    pub method: String,
    pub init: Vec<f64>,
    /// |D| / |Ω|.
    pub volume_ratio: f64,
}

/// A shape left out of SRVR by the acceptance rule (SPEC §7: mean map score below the threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedShape {
    pub network: String,
    pub class: String,
    pub shape: String,
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
}

/// SRVR of one network: the mean over its classes that have accepted shapes (`None` when
/// none has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSrvr {
    pub network: String,
    pub srvr: Option<f64>,
    pub classes: Vec<ClassSrvr>,
}

/// The SRVR table, networks and classes in name order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrvrReport {
    pub networks: Vec<NetworkSrvr>,
}

/// Aggregates region records into SRVR per class and per network.
///
/// Every record weighs the same inside its class, so with the same starts and methods for
/// every shape the class figure is the mean over shapes of the per-shape means. Rejected
/// shapes are counted; a class whose shapes were all rejected has no SRVR and does not enter
/// its network's mean.
pub fn aggregate(records: &[RegionRecord], rejected: &[RejectedShape]) -> SrvrReport {
    #[derive(Default)]
    struct Acc<'a> {
        sum: f64,
        regions: usize,
        shapes: BTreeSet<&'a str>,
        rejected: usize,
    }
    let mut table: BTreeMap<&str, BTreeMap<&str, Acc>> = BTreeMap::new();
    for r in records {
        let acc = table
            .entry(&r.network)
            .or_default()
            .entry(&r.class)
            .or_default();
        acc.sum += r.volume_ratio;
        acc.regions += 1;
        acc.shapes.insert(&r.shape);
    }
    for r in rejected {
        table
            .entry(&r.network)
            .or_default()
            .entry(&r.class)
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
                })
                .collect();
            let measured: Vec<f64> = classes.iter().filter_map(|c| c.srvr).collect();
            let srvr = (!measured.is_empty())
                .then(|| measured.iter().sum::<f64>() / measured.len() as f64);
            NetworkSrvr {
                network: network.to_string(),
                srvr,
                classes,
            }
        })
        .collect();
    SrvrReport { networks }
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{:.3}", 100.0 * v))
}

impl SrvrReport {
    /// A markdown table: one row per network and class, SRVR in percent of |Ω|.
    pub fn to_markdown(&self) -> String {
        let mut out =
            String::from("| network | class | shapes | rejected | regions | SRVR (% of Ω) |\n");
        out.push_str("|---|---|---:|---:|---:|---:|\n");
        for net in &self.networks {
            for c in &net.classes {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    net.network,
                    c.class,
                    c.shapes,
                    c.rejected,
                    c.regions,
                    percent(c.srvr)
                ));
            }
            let measured = net.classes.iter().filter(|c| c.srvr.is_some()).count();
            out.push_str(&format!(
                "| **{}** | **mean of {measured} classes** | | | | **{}** |\n",
                net.network,
                percent(net.srvr)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(network: &str, class: &str, shape: &str, method: &str, v: f64) -> RegionRecord {
        RegionRecord {
            network: network.into(),
            class: class.into(),
            shape: shape.into(),
            method: method.into(),
            init: vec![0.0],
            volume_ratio: v,
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
            network: "net".into(),
            class: "bench".into(),
            shape: "z".into(),
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

    #[test]
    fn markdown_has_a_row_per_class_and_a_total_per_network() {
        let report = aggregate(&[rec("n", "cup", "a", "naive", 0.5)], &[]);
        let md = report.to_markdown();
        assert!(md.contains("| n | cup | 1 | 0 | 1 | 50.000 |"), "{md}");
        assert!(
            md.contains("| **n** | **mean of 1 classes** | | | | **50.000** |"),
            "{md}"
        );
    }
}
