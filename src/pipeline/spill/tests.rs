//! Tests of the activity runs: the spill encoding, the merge order, and what is written.

use super::*;

fn sample(i: u64) -> Keyed {
    let s = |k: u64| Some(format!("v{}", (i * 7 + k) % 5));
    let a = Activity {
        time_us: (i % 13) as i64 * 1_000_000 - 5,
        event_id: (!i.is_multiple_of(3)).then(|| format!("e{}", i % 4)),
        user: s(1),
        app_id: [None, Some("exchange-online"), Some("sharepoint-online")][(i % 3) as usize],
        app: s(2),
        activity: ActivityType::ALL[(i % 13) as usize],
        action: if i.is_multiple_of(4) {
            String::new()
        } else {
            format!("op{}", i % 2)
        },
        result: [None, Some(Outcome::Success), Some(Outcome::Failure)][(i % 3) as usize],
        ip: match i % 3 {
            0 => None,
            1 => Some(IpAddr::from([10, 0, (i % 256) as u8, 1])),
            _ => Some("2001:db8::7".parse().expect("v6")),
        },
        country: s(3),
        ip_category: (i.is_multiple_of(2)).then_some(CATEGORIES[(i % 6) as usize]),
        ip_tags: (0..i % 3).map(|t| format!("tag{t} é")).collect(),
        object: s(4),
        object_is_user: i % 5 == 2,
        user_agent: (i.is_multiple_of(5)).then(|| "Mozilla/5.0 \"x\"".to_string()),
        device_type: s(5),
        admin: i % 2 == 1,
        bytes_up: (i.is_multiple_of(3)).then_some(i * 1000),
        bytes_down: (i.is_multiple_of(4)).then_some(u64::MAX - i),
        traffic: i % 3 == 1,
    };
    ((i % 3) as usize, i / 3, a)
}

#[test]
fn encoding_round_trips_every_field() {
    let mut ids = Vec::new();
    for i in 0..300 {
        let k = sample(i);
        let mut buf = Vec::new();
        encode(&k, &mut ids, &mut buf);
        assert_eq!(decode(&buf, &ids).expect("decodes"), k, "sample {i}");
        // Cut short anywhere: an error, never a panic.
        for cut in [0, 1, buf.len() / 2, buf.len() - 1] {
            assert!(decode(&buf[..cut], &ids).is_err());
        }
    }
    assert_eq!(ids.len(), 2, "one table entry per distinct app id");
}

/// Activities pushed by `workers` builders that spill every `limit` bytes, merged back.
fn merged(v: &[Keyed], workers: usize, limit: usize) -> (Vec<Keyed>, usize) {
    let mut b: Vec<RunBuilder> = (0..workers).map(|_| RunBuilder::new(limit)).collect();
    // Chunks of 10 (one line's activities never straddle two workers).
    for (c, chunk) in v.chunks(10).enumerate() {
        for k in chunk {
            b[c % workers].push(k.0, k.1, k.2.clone());
        }
    }
    let runs = ActivityRuns::new(b);
    assert_eq!(runs.len(), v.len() as u64);
    let n = runs.spilled_runs();
    (
        runs.into_merge()
            .expect("merge")
            .collect::<Result<_, _>>()
            .expect("reads"),
        n,
    )
}

#[test]
fn merged_runs_are_a_stable_sort() {
    // Many ties on time and content, and complete ties (several activities of one line,
    // which keep the order the line gave them: told apart by the bytes fields).
    let mut v: Vec<Keyed> = (0..2000).map(sample).collect();
    for (i, k) in v.iter_mut().enumerate() {
        (k.0, k.1) = (0, i as u64 / 10);
        k.2.bytes_up = Some(i as u64);
    }
    let mut want = v.clone();
    want.sort_by(activity_order);
    for (workers, limit) in [(1, usize::MAX), (1, 2000), (2, 5000), (3, 1)] {
        let (got, spilled) = merged(&v, workers, limit);
        if limit < usize::MAX {
            assert!(spilled > 1, "{workers} workers, {limit} bytes: {spilled} runs");
        }
        assert!(got == want, "{workers} workers, limit {limit}");
    }
    assert!(merged(&[], 2, 1).0.is_empty());
}

#[test]
fn the_last_run_is_written_once_a_worker_has_spilled() {
    let v: Vec<Keyed> = (0..4).map(sample).collect();
    let one = v.iter().map(|k| heap_bytes(&k.2)).max().unwrap();
    // Three activities pass the limit (a run is written), the fourth is the last run.
    let mut spilled = RunBuilder::new(2 * one + 1);
    // Never passes its limit: replayed from memory, no temporary file.
    let mut small = RunBuilder::new(usize::MAX);
    for k in &v {
        spilled.push(k.0, k.1, k.2.clone());
        small.push(k.0, k.1, k.2.clone());
    }
    assert_eq!((spilled.runs.len(), spilled.buf.len()), (1, 1));
    let runs = ActivityRuns::new(vec![spilled, small]);
    assert_eq!(
        runs.spilled_runs(),
        2,
        "the last run of the first worker went to its file"
    );
    assert!(runs.parts[0].tail.0.is_empty());
    assert_eq!(runs.parts[1].tail.0.len(), 4);
    assert!(runs.parts[1].file.is_none());
    let mut want: Vec<Keyed> = v.iter().chain(&v).cloned().collect();
    want.sort_by(activity_order);
    let got: Vec<Keyed> = runs.into_merge().unwrap().collect::<Result<_, _>>().unwrap();
    assert!(got == want);
}

#[test]
fn days_and_counts() {
    let mut b = RunBuilder::new(1);
    for d in [0i64, 3, 3, -1] {
        let a = Activity {
            time_us: d * 86_400_000_000 + 5,
            ..Activity::default()
        };
        b.push(0, 1, a);
    }
    let runs = ActivityRuns::new(vec![b, RunBuilder::new(1)]);
    assert_eq!(runs.days().iter().copied().collect::<Vec<_>>(), vec![-1, 0, 3]);
    assert_eq!(runs.spilled_runs(), 4);
    assert_eq!(runs.into_vec().expect("reads").len(), 4);
}

#[cfg(target_os = "linux")]
#[test]
fn a_last_run_that_cannot_be_written_fails_the_merge() {
    // `/dev/full` takes writes into the buffer and fails them when it is flushed: the runs
    // written during the scan and the last one written at the end are lost, and the merge says
    // so instead of replaying fewer activities.
    let v: Vec<Keyed> = (0..4).map(sample).collect();
    let one = v.iter().map(|k| heap_bytes(&k.2)).max().unwrap();
    let mut b = RunBuilder::new(2 * one + 1);
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    b.file = Some(BufWriter::with_capacity(1 << 16, full));
    for k in &v {
        b.push(k.0, k.1, k.2.clone());
    }
    assert_eq!((b.runs.len(), b.buf.len()), (1, 1));
    match ActivityRuns::new(vec![b]).into_merge() {
        Err(SpillError::Write { .. }) => {}
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("the merge went on without the lost runs"),
    }
}
