//! Tests of the history folder: replacement by content id, exact distinct counts across
//! inputs, retention, the journal after a killed run.

use super::*;
use crate::discovery::{Name, Totals};
use std::net::IpAddr;

fn totals(n: u64) -> Totals {
    let mut t = Totals::default();
    for i in 0..n {
        t.add(Some(20_000 * daily::DAY_US + i as i64), false, 1, 2);
    }
    t
}

fn app(app: &str, user: &str, ip: u8, day: i64, n: u64) -> AppDay {
    AppDay {
        app: Name::from(app),
        user: Some(Name::from(user)),
        ip: Some(IpAddr::from([10, 0, 0, ip])),
        day,
        totals: totals(n),
    }
}

fn info(id: &str) -> AppInfo {
    AppInfo {
        name: id.to_uppercase(),
        category: "Cloud storage".into(),
        risk_score: Some(5.0),
    }
}

fn commit(h: &mut History, id: &str, rows: &[AppDay]) -> CommitSummary {
    let inp = InputRows {
        content_id: id,
        name: id,
        apps: rows.iter().collect(),
        unmatched: Vec::new(),
    };
    // "Now" is the year 2100: every test day is in the past.
    let staged = h.stage(&[inp], &info, 4_102_444_800_000_000).unwrap();
    h.publish(staged).unwrap()
}

fn app_daily(dir: &Path, day: i64) -> Vec<(String, u64, u64)> {
    let h = History::read(dir, KEEP_DAYS).unwrap();
    let mut v: Vec<_> = h
        .app_daily(day, day)
        .unwrap()
        .into_iter()
        .map(|r| (r.app.to_string(), r.totals.transactions, r.users))
        .collect();
    v.sort();
    v
}

#[test]
fn a_rescan_replaces_its_rows_and_two_inputs_of_a_day_count_users_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), KEEP_DAYS).unwrap();
    let night1 = [app("box", "ann", 1, 100, 3), app("box", "bob", 2, 100, 1)];
    let s = commit(&mut h, "aaa", &night1);
    assert_eq!((s.inputs_added, s.days_written.len()), (1, 1));
    assert_eq!(app_daily(dir.path(), 100), vec![("box".into(), 4, 2)]);
    // Another log of the same day, with ann again.
    let other = [app("box", "ann", 1, 100, 5), app("box", "ann", 1, 101, 1)];
    commit(&mut h, "bbb", &other);
    assert_eq!(app_daily(dir.path(), 100), vec![("box".into(), 9, 2)]);
    assert_eq!(app_daily(dir.path(), 101), vec![("box".into(), 1, 1)]);
    // The first one again: nothing changes.
    let s = commit(&mut h, "aaa", &night1);
    assert_eq!(s.inputs_replaced, 1);
    assert_eq!(app_daily(dir.path(), 100), vec![("box".into(), 9, 2)]);
    assert_eq!(h.days(), vec![100, 101]);
    // Nothing is left in staging, and no journal.
    assert!(!dir.path().join(STAGING).exists() && !dir.path().join(JOURNAL).exists());
}

#[test]
fn retention_removes_old_days_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), 3).unwrap();
    commit(&mut h, "old", &[app("box", "ann", 1, 100, 1)]);
    commit(&mut h, "mid", &[app("box", "ann", 1, 102, 1)]);
    let s = commit(&mut h, "new", &[app("box", "ann", 1, 104, 1)]);
    assert_eq!(s.days_removed, vec![day_name(100)]);
    assert_eq!(h.days(), vec![102, 104]);
    assert!(!dir.path().join(INPUTS).join("old.apps.parquet").exists());
    assert!(dir.path().join(INPUTS).join("mid.apps.parquet").exists());
}

#[test]
fn a_run_killed_before_its_journal_adds_nothing_and_one_killed_after_it_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), KEEP_DAYS).unwrap();
    commit(&mut h, "aaa", &[app("box", "ann", 1, 100, 1)]);
    drop(h);
    // Killed while staging: only staging files, which the next writer removes.
    std::fs::create_dir_all(dir.path().join(STAGING)).unwrap();
    std::fs::write(dir.path().join(STAGING).join("app_daily.1970-04-11.parquet"), b"half").unwrap();
    assert_eq!(app_daily(dir.path(), 100), vec![("box".into(), 1, 1)]);
    drop(History::open(dir.path(), KEEP_DAYS).unwrap());
    assert!(!dir.path().join(STAGING).exists());
    // Killed after the journal: the next open finishes it.
    let staged = dir.path().join(STAGING);
    std::fs::create_dir_all(&staged).unwrap();
    let src = dir
        .path()
        .join("app_daily")
        .join(format!("date={}", day_name(100)))
        .join(PART);
    std::fs::copy(&src, staged.join("copy.parquet")).unwrap();
    let j = Journal {
        renames: vec![(
            format!("{STAGING}/copy.parquet"),
            format!("app_daily/date={}/{PART}", day_name(105)),
        )],
        removes: vec![format!("app_daily/date={}", day_name(100))],
    };
    std::fs::write(dir.path().join(JOURNAL), serde_json::to_string(&j).unwrap()).unwrap();
    assert!(History::read(dir.path(), KEEP_DAYS).unwrap().publishing());
    let h = History::open(dir.path(), KEEP_DAYS).unwrap();
    assert_eq!(h.days(), vec![105]);
    assert!(!h.publishing());
    assert!(!dir.path().join(JOURNAL).exists());
}

#[test]
fn a_corrupt_index_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(INPUTS)).unwrap();
    std::fs::write(dir.path().join(INPUTS).join("index.json"), b"{nope").unwrap();
    let e = History::open(dir.path(), KEEP_DAYS).err().unwrap().to_string();
    assert!(e.contains("index.json") && e.contains("unreadable index"), "{e}");
}

#[test]
fn one_writer_at_a_time_and_far_future_days_do_not_age_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), 3).unwrap();
    let e = History::open(dir.path(), 3).err().expect("second writer refused");
    assert!(matches!(e, HistoryError::Busy { .. }), "{e}");
    commit(&mut h, "real", &[app("box", "ann", 1, 100, 1)]);
    // A record dated centuries ahead: it is kept, but day 100 is not "old" because of it.
    let s = commit(&mut h, "odd", &[app("box", "ann", 1, 200_000, 1)]);
    assert!(s.days_removed.is_empty(), "{s:?}");
    assert!(h.days().contains(&100));
    // A folder name this code never writes is not a day.
    std::fs::create_dir_all(dir.path().join("app_daily").join("date=2026-13-45")).unwrap();
    assert_eq!(h.days().len(), 2, "{:?}", h.days());
}
