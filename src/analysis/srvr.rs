//! The semantic robustness volume ratio (SPEC §5).
//!
//! For network C and class k, SRVR is the mean volume of the robust regions found over the
//! shapes of class k, the initial points and the methods, divided by |Ω|; a network's SRVR
//! is the mean over its classes.

use std::collections::BTreeMap;

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

/// SRVR of one class for one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSrvr {
    pub class: String,
    /// Mean of `volume_ratio` over the class' accepted shapes, starts and methods.
    pub srvr: f64,
    /// Accepted shapes that contributed.
    pub shapes: usize,
    /// Regions that contributed (shapes × starts × methods).
    pub regions: usize,
}

/// SRVR of one network: the mean over its classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSrvr {
    pub network: String,
    pub srvr: f64,
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
/// every shape the class figure is the mean over shapes of the per-shape means. A network
/// with no records does not appear.
pub fn aggregate(records: &[RegionRecord]) -> SrvrReport {
    // network → class → (sum, count, shapes)
    let mut table: BTreeMap<&str, BTreeMap<&str, (f64, usize, BTreeMap<&str, ()>)>> =
        BTreeMap::new();
    for r in records {
        let entry = table
            .entry(&r.network)
            .or_default()
            .entry(&r.class)
            .or_insert((0.0, 0, BTreeMap::new()));
        entry.0 += r.volume_ratio;
        entry.1 += 1;
        entry.2.insert(&r.shape, ());
    }
    let networks = table
        .into_iter()
        .map(|(network, classes)| {
            let classes: Vec<ClassSrvr> = classes
                .into_iter()
                .map(|(class, (sum, count, shapes))| ClassSrvr {
                    class: class.to_string(),
                    srvr: sum / count as f64,
                    shapes: shapes.len(),
                    regions: count,
                })
                .collect();
            let srvr = classes.iter().map(|c| c.srvr).sum::<f64>() / classes.len() as f64;
            NetworkSrvr {
                network: network.to_string(),
                srvr,
                classes,
            }
        })
        .collect();
    SrvrReport { networks }
}

impl SrvrReport {
    /// A markdown table: one row per network and class, SRVR in percent of |Ω|.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| network | class | shapes | regions | SRVR (% of Ω) |\n");
        out.push_str("|---|---|---:|---:|---:|\n");
        for net in &self.networks {
            for c in &net.classes {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {:.3} |\n",
                    net.network,
                    c.class,
                    c.shapes,
                    c.regions,
                    100.0 * c.srvr
                ));
            }
            out.push_str(&format!(
                "| **{}** | **all ({} classes)** | | | **{:.3}** |\n",
                net.network,
                net.classes.len(),
                100.0 * net.srvr
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
        let report = aggregate(&records);
        assert_eq!(report.networks.len(), 2);
        let net = &report.networks[0];
        assert_eq!(net.network, "net");
        assert!((net.classes[0].srvr - 0.3).abs() < 1e-15);
        assert_eq!(net.classes[0].shapes, 2);
        assert_eq!(net.classes[0].regions, 4);
        assert!((net.classes[1].srvr - 0.5).abs() < 1e-15);
        // Mean over classes, not over regions: (0.3 + 0.5) / 2, not (1.2 + 0.5) / 5.
        assert!((net.srvr - 0.4).abs() < 1e-15);
        assert_eq!(report.networks[1].network, "other");
        assert!((report.networks[1].srvr - 0.25).abs() < 1e-15);
    }

    #[test]
    fn markdown_has_a_row_per_class_and_a_total_per_network() {
        let report = aggregate(&[rec("n", "cup", "a", "naive", 0.5)]);
        let md = report.to_markdown();
        assert!(md.contains("| n | cup | 1 | 1 | 50.000 |"), "{md}");
        assert!(
            md.contains("| **n** | **all (1 classes)** | | | **50.000** |"),
            "{md}"
        );
    }
}
