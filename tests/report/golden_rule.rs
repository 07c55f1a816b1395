//! The golden rule on the stored golden files themselves: for every committed golden JSON
//! file, moving every stored number by half the tolerance still passes, and moving any one
//! number by twice its tolerance fails, naming that number's path (a difference of two stored
//! numbers, `semrob::report::golden::DIFFERENCES`, by twice the sum of their tolerances).
//! Counts, strings and identifiers are exact: changing one integer by one fails.

use std::path::{Path, PathBuf};

use semrob::report::golden::{compare_json, read_golden, DIFFERENCES, GOLDEN_TOLERANCE};
use serde_json::Value;

/// Every committed golden JSON file, in name order.
pub fn golden_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Paths (`$.a[3].b`) of the leaves of `v` that `keep` selects, in document order.
fn leaves(v: &Value, path: &str, keep: &dyn Fn(&Value) -> bool, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, &format!("{path}[{i}]"), keep, out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                leaves(x, &format!("{path}.{k}"), keep, out);
            }
        }
        x if keep(x) => out.push(path.to_string()),
        _ => {}
    }
}

fn is_float(v: &Value) -> bool {
    matches!(v, Value::Number(n) if n.is_f64())
}

fn is_integer(v: &Value) -> bool {
    matches!(v, Value::Number(n) if !n.is_f64())
}

/// `v` with `change` applied to the leaf at `target` (every float leaf when `None`).
fn map_leaves(
    v: &Value,
    path: &str,
    target: Option<&str>,
    change: &dyn Fn(&Value) -> Value,
) -> Value {
    match v {
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| map_leaves(x, &format!("{path}[{i}]"), target, change))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    (
                        k.clone(),
                        map_leaves(x, &format!("{path}.{k}"), target, change),
                    )
                })
                .collect(),
        ),
        x => match target {
            Some(t) if t == path => change(x),
            None if is_float(x) => change(x),
            _ => x.clone(),
        },
    }
}

fn moved_by(factor: f64) -> impl Fn(&Value) -> Value {
    move |x: &Value| {
        let g = x.as_f64().unwrap();
        serde_json::json!(g + factor * GOLDEN_TOLERANCE.allowed(g))
    }
}

#[test]
fn there_are_golden_files_with_numbers_to_check() {
    let files = golden_files();
    assert!(files.len() >= 6, "{files:?}");
    for path in &files {
        let g = read_golden(path).unwrap_or_else(|e| panic!("{e}"));
        let mut floats = Vec::new();
        leaves(&g.value, "$", &is_float, &mut floats);
        assert!(!floats.is_empty(), "{}: no float to check", path.display());
    }
}

#[test]
fn every_number_moved_by_half_the_tolerance_passes() {
    for path in golden_files() {
        let g = read_golden(&path).unwrap();
        for factor in [0.5, -0.5] {
            let got = map_leaves(&g.value, "$", None, &moved_by(factor));
            assert_ne!(got, g.value);
            let d = compare_json(&g.value, &got, GOLDEN_TOLERANCE);
            assert!(d.is_empty(), "{}: {d:?}", path.display());
        }
    }
}

/// The value at a leaf path (`$.a[3].b`) of `v`, and the object that holds it.
fn at_path<'a>(
    v: &'a Value,
    path: &str,
) -> (&'a Value, Option<&'a serde_json::Map<String, Value>>) {
    let mut here = v;
    let mut parent = None;
    let mut rest = path.strip_prefix('$').expect("a leaf path starts at $");
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').expect("an index ends");
            here = &here[r[..end].parse::<usize>().expect("an index")];
            parent = None;
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').expect("a key");
            let end = r.find(['.', '[']).unwrap_or(r.len());
            parent = here.as_object();
            here = &here[&r[..end]];
            rest = &r[end..];
        }
    }
    (here, parent)
}

/// How far the number at `leaf` may move: its own tolerance, or the sum of its two
/// operands' when it is a difference of siblings.
fn allowance(v: &Value, leaf: &str) -> f64 {
    let (x, parent) = at_path(v, leaf);
    let key = leaf.rsplit('.').next().unwrap_or_default();
    let operands = DIFFERENCES
        .iter()
        .find(|(k, _, _)| *k == key)
        .and_then(|(_, a, b)| {
            let p = parent?;
            Some((p.get(*a)?.as_f64()?, p.get(*b)?.as_f64()?))
        });
    match operands {
        Some((a, b)) => GOLDEN_TOLERANCE.allowed(a) + GOLDEN_TOLERANCE.allowed(b),
        None => GOLDEN_TOLERANCE.allowed(x.as_f64().unwrap()),
    }
}

#[test]
fn any_one_number_moved_by_twice_the_tolerance_fails_naming_it() {
    for path in golden_files() {
        let g = read_golden(&path).unwrap();
        let mut floats = Vec::new();
        leaves(&g.value, "$", &is_float, &mut floats);
        for leaf in &floats {
            let allowed = allowance(&g.value, leaf);
            for factor in [2.0, -2.0] {
                let moved = |x: &Value| serde_json::json!(x.as_f64().unwrap() + factor * allowed);
                let got = map_leaves(&g.value, "$", Some(leaf), &moved);
                let d = compare_json(&g.value, &got, GOLDEN_TOLERANCE);
                assert_eq!(d.len(), 1, "{} {leaf}: {d:?}", path.display());
                assert!(d[0].starts_with(&format!("{leaf}: golden")), "{}", d[0]);
            }
        }
    }
}

#[test]
fn counts_and_strings_are_exact() {
    for path in golden_files() {
        let g = read_golden(&path).unwrap();
        let mut ints = Vec::new();
        leaves(&g.value, "$", &is_integer, &mut ints);
        for leaf in &ints {
            let got = map_leaves(&g.value, "$", Some(leaf), &|x: &Value| {
                serde_json::json!(x.as_i64().unwrap() + 1)
            });
            assert_eq!(
                compare_json(&g.value, &got, GOLDEN_TOLERANCE).len(),
                1,
                "{leaf}"
            );
        }
        let mut strings = Vec::new();
        leaves(&g.value, "$", &|v: &Value| v.is_string(), &mut strings);
        for leaf in &strings {
            let got = map_leaves(&g.value, "$", Some(leaf), &|x: &Value| {
                serde_json::json!(format!("{}x", x.as_str().unwrap()))
            });
            assert_eq!(
                compare_json(&g.value, &got, GOLDEN_TOLERANCE).len(),
                1,
                "{leaf}"
            );
        }
    }
}
