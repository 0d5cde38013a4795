//! A temporary folder that cannot take the activities: the run is told why and what to do,
//! nothing panics. (Its own test binary: it changes `TMPDIR` for the whole process.)

use cloudcensus::base::activity::Activity;
use cloudcensus::pipeline::spill::{ActivityRuns, RunBuilder, SpillError};

#[test]
fn an_unwritable_temporary_folder_is_a_clear_error() {
    std::env::set_var("TMPDIR", "/nonexistent/cloudcensus-tmp");
    let mut b = RunBuilder::new(1);
    for i in 0..3 {
        let a = Activity {
            time_us: i,
            ..Activity::default()
        };
        b.push(0, i as u64, a);
    }
    let runs = ActivityRuns::new(vec![b]);
    assert_eq!(runs.len(), 3);
    match runs.into_merge() {
        Err(e @ SpillError::Write { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("/nonexistent/cloudcensus-tmp"), "{msg}");
            assert!(msg.contains("set TMPDIR"), "{msg}");
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("merged without its runs"),
    }
}
