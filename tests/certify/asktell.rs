//! One certificate in ask/tell form: the same seed gives the same certificate; batches
//! follow the stated schedule and do not change the samples; the failure rule per goal and
//! criterion (a score equal to the threshold passes); early refutation; witness and margin;
//! refused inputs name what is wrong; lockstep runs equal single runs; and a certificate's
//! samples never coincide with the points a region growth evaluated.

use crate::support::{Recording, StepHole};
use nalgebra::DMatrix;
use semrob::certify::sampling::certificate_rng;
use semrob::certify::{
    certificate_seed, certify_function, max_certifiable_failures, run_certificates, uniform_points,
    CertificateRun, CertifyError, CertifySettings, Criterion, SampleScore, Verdict,
};
use semrob::region::{find_region, Goal, HyperParams, Method, Region};
use semrob::semantic::oracle::OracleFunction;
use semrob_oracles::Oracle;

fn settings(samples: usize, batch: usize) -> CertifySettings {
    CertifySettings {
        samples,
        batch,
        ..CertifySettings::default()
    }
}

fn constant(n: usize, c: f64) -> OracleFunction {
    OracleFunction(Oracle::constant(n, c))
}

#[test]
fn the_same_seed_gives_the_same_certificate() {
    let f = StepHole::unit(2, 0.03, 0.0, 1.0);
    let s = settings(200, 8);
    let seed = certificate_seed("fingerprint", "job", 2);
    let a = certify_function(&f, &[0.0, 0.0], &[1.0, 1.0], Goal::Robust, &s, 0.5, seed).unwrap();
    let b = certify_function(&f, &[0.0, 0.0], &[1.0, 1.0], Goal::Robust, &s, 0.5, seed).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.seed, seed);
    let c = certify_function(
        &f,
        &[0.0, 0.0],
        &[1.0, 1.0],
        Goal::Robust,
        &s,
        0.5,
        seed + 1,
    )
    .unwrap();
    assert_ne!(a.witness.point, c.witness.point);
}

#[test]
fn batches_double_up_to_four_times_the_first_and_repeat_when_asked_twice() {
    let mut run =
        CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(100, 8), 0.5, 1).unwrap();
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    // A run is finished exactly when it asks for nothing more.
    assert!(!run.is_finished());
    while let Some(b) = run.ask() {
        let b = b.clone();
        assert!(!run.is_finished());
        assert_eq!(run.ask(), Some(&b), "asking twice gives the same batch");
        sizes.push(b.nrows());
        all.extend(b.iter().copied());
        run.tell(&vec![SampleScore::of_score(1.0); b.nrows()])
            .unwrap();
    }
    assert_eq!(sizes, [8, 16, 32, 32, 12]);
    assert!(run.is_finished());
    assert_eq!(run.samples_drawn(), 100);
    // The samples are the seed's stream, whatever the batches.
    let one = uniform_points(&[0.0], &[1.0], 100, &mut certificate_rng(1));
    assert_eq!(all, one.iter().copied().collect::<Vec<_>>());
    let c = run.finish();
    assert_eq!(
        (c.verdict, c.samples, c.failures),
        (Verdict::Certified, 100, 0)
    );
    // A plan smaller than a batch is one batch.
    let mut small =
        CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(59, 64), 0.5, 1).unwrap();
    assert_eq!(small.ask().unwrap().nrows(), 59);
}

#[test]
fn a_score_equal_to_the_threshold_passes_for_either_goal() {
    let s = settings(100, 8);
    let cert = |c: f64, goal| {
        certify_function(&constant(2, c), &[0.0; 2], &[1.0; 2], goal, &s, 0.5, 7).unwrap()
    };
    for goal in [Goal::Robust, Goal::Adversarial] {
        let c = cert(0.5, goal);
        assert_eq!(
            (c.verdict, c.failures, c.margin),
            (Verdict::Certified, 0, 0.0)
        );
    }
    // Robust fails below, adversarial above.
    assert_eq!(cert(0.49, Goal::Robust).verdict, Verdict::Refuted);
    assert_eq!(cert(0.51, Goal::Robust).verdict, Verdict::Certified);
    assert_eq!(cert(0.51, Goal::Adversarial).verdict, Verdict::Refuted);
    assert_eq!(cert(0.49, Goal::Adversarial).verdict, Verdict::Certified);
}

#[test]
fn a_hollow_box_is_refuted_after_the_batch_that_exceeds_the_affordable_failures() {
    let hollow = |samples| {
        certify_function(
            &constant(2, 0.0),
            &[0.0; 2],
            &[1.0; 2],
            Goal::Robust,
            &settings(samples, 8),
            0.1,
            3,
        )
        .unwrap()
    };
    // 100 samples afford one failure: the first batch refutes.
    let c = hollow(100);
    assert_eq!(
        (c.verdict, c.samples, c.failures, c.planned),
        (Verdict::Refuted, 8, 8, 100)
    );
    assert_eq!(c.upper_bound, 1.0);
    // 688 afford more than 8 and fewer than 24 + 32: the third batch (8, 16, 32) refutes.
    let kmax = max_certifiable_failures(688, 0.05, 0.05).unwrap();
    assert!((24..56).contains(&kmax), "{kmax}");
    let c = hollow(688);
    assert_eq!(
        (c.verdict, c.samples, c.failures),
        (Verdict::Refuted, 56, 56)
    );
}

/// Runs a certificate of 100 samples (1 failure allowed at 95 % for p = 0.05) where the
/// samples at `failing` fail, and returns it.
fn with_failures_at(failing: &[usize]) -> semrob::certify::Certificate {
    let mut run =
        CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(100, 8), 0.5, 5).unwrap();
    let mut drawn = 0;
    while let Some(b) = run.ask() {
        let rows = b.nrows();
        let scores: Vec<SampleScore> = (drawn..drawn + rows)
            .map(|j| SampleScore::of_score(if failing.contains(&j) { 0.2 } else { 0.9 }))
            .collect();
        run.tell(&scores).unwrap();
        drawn += rows;
    }
    run.finish()
}

#[test]
fn too_many_failures_refute_early_or_fail_the_full_plan() {
    // One failure is affordable: certified, bound from all 100 samples.
    let c = with_failures_at(&[3]);
    assert_eq!(
        (c.verdict, c.samples, c.failures),
        (Verdict::Certified, 100, 1)
    );
    assert!((c.upper_bound - 0.0466).abs() < 5e-5);
    assert_eq!(c.witness.score, 0.2);
    // A second failure in the first batch ends it there (batch of 8).
    let c = with_failures_at(&[3, 5]);
    assert_eq!((c.verdict, c.samples, c.failures), (Verdict::Refuted, 8, 2));
    // ...in the third batch (samples 24–55), after it.
    let c = with_failures_at(&[3, 40]);
    assert_eq!((c.verdict, c.samples), (Verdict::Refuted, 56));
    // In the last batch all samples are drawn: not certified rather than refuted.
    let c = with_failures_at(&[3, 99]);
    assert_eq!(
        (c.verdict, c.samples, c.failures),
        (Verdict::NotCertified, 100, 2)
    );
    assert!(c.upper_bound > 0.05);
}

#[test]
fn the_witness_is_the_worst_sample_and_the_margin_the_closest_to_the_threshold() {
    for goal in [Goal::Robust, Goal::Adversarial] {
        let mut run =
            CertificateRun::new(&[0.0, 0.0], &[1.0, 1.0], goal, &settings(59, 64), 0.5, 9).unwrap();
        let points = run.ask().unwrap().clone();
        let scores: Vec<SampleScore> = (0..59)
            .map(|j| SampleScore {
                score: 0.3 + 0.4 * j as f64 / 58.0,
                top1_is_label: None,
                top_class: Some(j),
            })
            .collect();
        run.tell(&scores).unwrap();
        let c = run.finish();
        let worst = if goal == Goal::Robust { 0 } else { 58 };
        assert_eq!(c.witness.top_class, Some(worst));
        assert_eq!(
            c.witness.point,
            points.row(worst).iter().copied().collect::<Vec<_>>()
        );
        assert_eq!(c.witness.score, scores[worst].score);
        // The scores step by 0.4/58; 0.5 lies between samples 28 (0.4931) and 29 (0.5).
        assert!(c.margin.abs() < 1e-12, "{}", c.margin);
    }
}

/// The run's accessors follow what it was told: the failures and samples so far, its seed.
#[test]
fn a_run_reports_its_failures_samples_and_seed_as_it_goes() {
    let mut run =
        CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(100, 8), 0.5, 77).unwrap();
    assert_eq!(run.seed(), 77);
    let (mut told, mut failed) = (0, 0);
    let mut round = 0;
    while let Some(b) = run.ask() {
        let rows = b.nrows();
        // Round r (from 0) fails on its first r samples: the run is refuted once the
        // failures exceed what 100 samples can certify with.
        let scores: Vec<SampleScore> = (0..rows)
            .map(|j| SampleScore::of_score(if j < round { 0.1 } else { 0.9 }))
            .collect();
        run.tell(&scores).unwrap();
        told += rows;
        failed += round.min(rows);
        round += 1;
        assert_eq!((run.samples_drawn(), run.failures()), (told, failed));
    }
    assert!(failed > max_certifiable_failures(100, 0.05, 0.05).unwrap());
    let c = run.finish();
    assert_eq!(c.verdict, Verdict::Refuted);
    assert_eq!((c.samples, c.failures, c.seed), (told, failed, 77));
}

/// Ties keep the first worst sample (the documented rule): on a constant map every sample is
/// the worst, so the witness is sample 0, the first point of the seed's stream, for either
/// goal, however the samples are batched (a map that passes, so that all 100 are drawn).
#[test]
fn on_ties_the_witness_is_the_first_worst_sample() {
    let (lo, hi) = ([0.0, -1.0], [2.0, 3.0]);
    let first = uniform_points(&lo, &hi, 1, &mut certificate_rng(5));
    for (goal, value) in [(Goal::Robust, 0.7), (Goal::Adversarial, 0.3)] {
        for batch in [1, 8, 100] {
            let c = certify_function(
                &constant(2, value),
                &lo,
                &hi,
                goal,
                &settings(100, batch),
                0.5,
                5,
            )
            .unwrap();
            assert_eq!(c.samples, 100, "{goal:?}, batch {batch}");
            assert_eq!(
                c.witness.point,
                first.row(0).iter().copied().collect::<Vec<_>>(),
                "{goal:?}, batch {batch}"
            );
        }
    }
}

#[test]
fn the_top1_criterion_counts_the_label_and_needs_it() {
    let s = CertifySettings {
        criterion: Criterion::Top1,
        ..settings(59, 8)
    };
    let mut run = CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &s, 0.5, 1).unwrap();
    let n = run.ask().unwrap().nrows();
    let mut scores = vec![SampleScore::of_score(0.9); n];
    match run.tell(&scores) {
        Err(CertifyError::MissingTop1 { row: 0 }) => {}
        other => panic!("{other:?}"),
    }
    // A low score with the label on top passes under top1 (robust), and fails adversarial.
    scores.fill(SampleScore {
        score: 0.01,
        top1_is_label: Some(true),
        top_class: Some(3),
    });
    run.tell(&scores).unwrap();
    assert_eq!(run.failures(), 0);
    let mut adv = CertificateRun::new(&[0.0], &[1.0], Goal::Adversarial, &s, 0.5, 1).unwrap();
    adv.ask();
    adv.tell(&scores).unwrap();
    assert!(adv.is_finished());
    assert_eq!(adv.finish().verdict, Verdict::Refuted);
}

#[test]
fn bad_batches_are_refused_and_change_nothing() {
    let mut run =
        CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(59, 8), 0.5, 1).unwrap();
    match run.tell(&[]) {
        Err(CertifyError::NothingAsked) => {}
        other => panic!("{other:?}"),
    }
    let b = run.ask().unwrap().clone();
    match run.tell(&[SampleScore::of_score(1.0)]) {
        Err(CertifyError::ScoreCount {
            expected: 8,
            got: 1,
        }) => {}
        other => panic!("{other:?}"),
    }
    let mut scores = vec![SampleScore::of_score(1.0); 8];
    for bad in [f64::NAN, -0.1, 1.1] {
        scores[4].score = bad;
        match run.tell(&scores) {
            Err(CertifyError::Score { row: 4, .. }) => {}
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(run.ask(), Some(&b));
    scores[4].score = 1.0;
    run.tell(&scores).unwrap();
    assert_eq!(run.samples_drawn(), 8);
}

#[test]
fn bad_boxes_settings_and_thresholds_are_named() {
    let s = settings(100, 8);
    let new = |lo: &[f64], hi: &[f64], s: &CertifySettings, t: f64| {
        CertificateRun::new(lo, hi, Goal::Robust, s, t, 0).map(|_| ())
    };
    for (lo, hi) in [
        (vec![0.0], vec![1.0, 2.0]),
        (vec![], vec![]),
        (vec![f64::NAN], vec![1.0]),
        (vec![2.0], vec![1.0]),
    ] {
        match new(&lo, &hi, &s, 0.5) {
            Err(CertifyError::BadBox { .. }) => {}
            other => panic!("{lo:?} {hi:?}: {other:?}"),
        }
    }
    // A zero side is a box (its points are that coordinate).
    new(&[1.0, 0.0], &[1.0, 1.0], &s, 0.5).unwrap();
    match new(&[0.0], &[1.0], &s, 1.5) {
        Err(CertifyError::Threshold { value }) => assert_eq!(value, 1.5),
        other => panic!("{other:?}"),
    }
    // The setting's threshold wins over the caller's.
    let with_t = CertifySettings {
        threshold: Some(0.2),
        ..s.clone()
    };
    let c = certify_function(
        &constant(1, 0.3),
        &[0.0],
        &[1.0],
        Goal::Robust,
        &with_t,
        0.9,
        0,
    )
    .unwrap();
    assert_eq!((c.threshold, c.verdict), (0.2, Verdict::Certified));
    match new(&[0.0], &[1.0], &settings(10, 8), 0.5) {
        Err(CertifyError::TooFewSamples {
            value: 10,
            smallest: 59,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match new(&[0.0], &[1.0], &settings(100, 0), 0.5) {
        Err(CertifyError::Batch) => {}
        other => panic!("{other:?}"),
    }
    match certify_function(&constant(2, 1.0), &[0.0], &[1.0], Goal::Robust, &s, 0.5, 0) {
        Err(CertifyError::Dimension {
            expected: 1,
            got: 2,
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
#[should_panic(expected = "not finished")]
fn finishing_an_unfinished_run_panics() {
    let run = CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &settings(100, 8), 0.5, 0).unwrap();
    run.finish();
}

#[test]
fn lockstep_runs_give_the_certificates_of_single_runs() {
    let f = StepHole::unit(2, 0.02, 0.1, 0.8);
    let s = settings(300, 8);
    let boxes = [
        ([0.0, 0.0], [1.0, 1.0], Goal::Robust),
        ([0.5, 0.0], [1.0, 0.5], Goal::Robust),
        ([0.0, 0.0], [0.02, 1.0], Goal::Adversarial),
        ([0.0, 0.0], [0.5, 1.0], Goal::Adversarial),
    ];
    let mut runs: Vec<CertificateRun> = boxes
        .iter()
        .enumerate()
        .map(|(i, (lo, hi, g))| CertificateRun::new(lo, hi, *g, &s, 0.5, i as u64).unwrap())
        .collect();
    let mut rounds = Vec::new();
    run_certificates(&mut runs, &mut |batches: &[&DMatrix<f64>]| {
        rounds.push(batches.len());
        Ok(batches
            .iter()
            .map(|b| {
                (0..b.nrows())
                    .map(|j| {
                        let u: Vec<f64> = b.row(j).iter().copied().collect();
                        SampleScore::of_score(f.value(&u))
                    })
                    .collect()
            })
            .collect())
    })
    .unwrap();
    assert_eq!(rounds[0], 4);
    assert!(rounds.windows(2).all(|w| w[1] <= w[0]), "{rounds:?}");
    for (i, (run, (lo, hi, g))) in runs.into_iter().zip(boxes).enumerate() {
        let single = certify_function(&f, &lo, &hi, g, &s, 0.5, i as u64).unwrap();
        let c = run.finish();
        assert_eq!(c, single, "run {i}");
    }
}

#[test]
fn lockstep_errors_name_the_batch_count_and_the_run() {
    let s = settings(100, 8);
    let mk = || {
        vec![
            CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &s, 0.5, 0).unwrap(),
            CertificateRun::new(&[0.0], &[1.0], Goal::Robust, &s, 0.5, 1).unwrap(),
        ]
    };
    let mut runs = mk();
    match run_certificates(&mut runs, &mut |_: &[&DMatrix<f64>]| Ok(vec![vec![]])) {
        Err(CertifyError::BatchCount {
            expected: 2,
            got: 1,
        }) => {}
        other => panic!("{other:?}"),
    }
    let mut runs = mk();
    let r = run_certificates(&mut runs, &mut |b: &[&DMatrix<f64>]| {
        Ok(vec![
            vec![SampleScore::of_score(1.0); b[0].nrows()],
            vec![SampleScore::of_score(2.0); b[1].nrows()],
        ])
    });
    match r {
        Err(CertifyError::Run { run: 1, source }) => {
            assert!(matches!(*source, CertifyError::Score { row: 0, .. }))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn certificate_samples_never_coincide_with_points_a_growth_run_evaluated() {
    let oracle = Oracle::smooth_box(1.0, &[100.0, 10.0], &[200.0, 50.0], 0.5);
    let grown = Recording::new(OracleFunction(oracle.clone()));
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let hyper = HyperParams {
        iterations: 200,
        ..HyperParams::default()
    };
    let run = find_region(
        &grown,
        Method::OirB,
        &domain,
        &[150.0, 30.0],
        &hyper,
        Goal::Robust,
    )
    .unwrap();
    let growth = grown.recorded();
    assert!(growth.len() > 100, "{}", growth.len());
    let (lo, hi): (Vec<f64>, Vec<f64>) = (
        run.region.lower().iter().copied().collect(),
        run.region.upper().iter().copied().collect(),
    );
    let certified = Recording::new(OracleFunction(oracle));
    let seed = certificate_seed("fp", "oracle/smooth-box", 0);
    let s = settings(688, 8);
    certify_function(&certified, &lo, &hi, Goal::Robust, &s, 0.1, seed).unwrap();
    let samples = certified.recorded();
    assert!(!samples.is_empty());
    for u in &samples {
        assert!(
            !growth.contains(u),
            "certificate sample {u:?} was a growth point"
        );
    }
}

#[test]
fn the_batch_size_changes_the_rounds_not_the_samples() {
    // A box that is never refuted draws the same 300 samples in any batches.
    let f = StepHole::unit(2, 0.004, 0.0, 1.0);
    let cert = |batch| {
        certify_function(
            &f,
            &[0.0; 2],
            &[1.0; 2],
            Goal::Robust,
            &settings(300, batch),
            0.5,
            11,
        )
        .unwrap()
    };
    let (a, b) = (cert(1), cert(64));
    assert_eq!(a, b);
    assert_eq!(a.samples, 300);
}

#[test]
fn a_certificate_reads_back_from_json_with_snake_case_names() {
    let c = with_failures_at(&[3, 99]);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["verdict"], "not_certified");
    assert_eq!(json["criterion"], "score");
    let back: semrob::certify::Certificate = serde_json::from_value(json).unwrap();
    assert_eq!(back, c);
}
