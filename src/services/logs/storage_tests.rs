//! Event file tests: append and read back, order of late events, reload from the file (with a
//! torn last record), deletion, and appends racing reads.

use super::*;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simfra-logs-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn all() -> Take {
    Take {
        from_end: false,
        max_events: usize::MAX,
        max_bytes: usize::MAX,
    }
}

fn messages(f: &EventFile) -> Vec<(i64, String)> {
    let slice = f.range(Key::MIN, Key::MAX, all()).unwrap();
    slice
        .read()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.ts, r.message))
        .collect()
}

#[test]
fn appended_events_read_back_in_time_order() {
    let dir = temp_dir();
    let files = Arc::new(Files::new(4, usize::MAX));
    let f = EventFile::new(dir.join("a.events"), files.clone());
    assert_eq!(f.stats().unwrap(), Stats::default());
    f.append(&[(10, "one"), (20, "two")], 100).unwrap();
    f.append(&[(30, "three")], 101).unwrap();
    // A late event (older than the newest) sorts at its place; equal times keep append order.
    f.append(&[(20, "two-late"), (5, "zero")], 102).unwrap();
    let got = messages(&f);
    let want: Vec<(i64, String)> = [
        (5, "zero"),
        (10, "one"),
        (20, "two"),
        (20, "two-late"),
        (30, "three"),
    ]
    .iter()
    .map(|(t, m)| (*t, m.to_string()))
    .collect();
    assert_eq!(got, want);
    let stats = f.stats().unwrap();
    assert_eq!(stats.count, 5);
    assert_eq!((stats.first_ts, stats.last_ts), (Some(5), Some(30)));
    assert_eq!(stats.last_ingestion, Some(102));
    assert_eq!(f.stored_bytes(), 5 * HEADER + 3 + 3 + 5 + 8 + 4);

    // A fresh index built from the same file says the same.
    let again = EventFile::new(dir.join("a.events"), files);
    assert_eq!(messages(&again), want);
    assert_eq!(again.stats().unwrap(), stats);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ranges_take_from_either_end_within_limits() {
    let dir = temp_dir();
    let f = EventFile::new(dir.join("r.events"), Arc::new(Files::new(4, usize::MAX)));
    let lines: Vec<String> = (0..100).map(|i| format!("line {i:03}")).collect();
    let events: Vec<(i64, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, m)| (i as i64, m.as_str()))
        .collect();
    f.append(&events, 1).unwrap();
    let first = |take: Take, lo: Key, hi: Key| {
        let s = f.range(lo, hi, take).unwrap();
        let recs = s.read().unwrap();
        (recs.first().map(|r| r.key.ts), recs.len(), s.rest)
    };
    let take = |from_end, max_events, max_bytes| Take {
        from_end,
        max_events,
        max_bytes,
    };
    assert_eq!(
        first(take(false, 10, usize::MAX), Key::MIN, Key::MAX),
        (Some(0), 10, 90)
    );
    assert_eq!(
        first(take(true, 10, usize::MAX), Key::MIN, Key::MAX),
        (Some(90), 10, 90)
    );
    // [20, 30): start inclusive, end exclusive.
    assert_eq!(
        first(take(false, 100, usize::MAX), Key::at(20), Key::at(30)),
        (Some(20), 10, 0)
    );
    // Bytes: each event counts its 8 message bytes + 26.
    assert_eq!(first(take(false, 100, 34 * 3), Key::MIN, Key::MAX).1, 3);
    // One event always fits, however small the byte limit.
    assert_eq!(first(take(false, 100, 1), Key::MIN, Key::MAX).1, 1);
    assert_eq!(
        first(take(false, 10, usize::MAX), Key::at(500), Key::MAX),
        (None, 0, 0)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_torn_last_record_is_cut_off() {
    let dir = temp_dir();
    let path = dir.join("t.events");
    let files = Arc::new(Files::new(4, usize::MAX));
    EventFile::new(path.clone(), files.clone())
        .append(&[(1, "kept"), (2, "also kept")], 7)
        .unwrap();
    let good = std::fs::metadata(&path).unwrap().len();
    // Half a record, as a crash in the middle of a write leaves it.
    let mut partial = Vec::new();
    partial.extend_from_slice(&3i64.to_le_bytes());
    partial.extend_from_slice(&7i64.to_le_bytes());
    partial.extend_from_slice(&100u32.to_le_bytes());
    partial.extend_from_slice(b"only part of it");
    let f = OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &f, &partial).unwrap();
    files.clear();
    let reloaded = EventFile::new(path.clone(), files);
    assert_eq!(reloaded.stats().unwrap().count, 2);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good);
    reloaded.append(&[(4, "after")], 8).unwrap();
    let got: Vec<String> = messages(&reloaded).into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, ["kept", "also kept", "after"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn deleted_streams_refuse_and_lose_their_file() {
    let dir = temp_dir();
    let path = dir.join("d.events");
    let f = EventFile::new(path.clone(), Arc::new(Files::new(1, usize::MAX)));
    f.append(&[(1, "x")], 1).unwrap();
    assert!(path.exists());
    f.delete();
    assert!(!path.exists());
    assert!(matches!(
        f.append(&[(2, "y")], 2),
        Err(StorageError::Deleted)
    ));
    assert!(matches!(f.stats(), Err(StorageError::Deleted)));
    assert!(!path.exists(), "a deleted stream is not re-created");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn handles_beyond_the_cap_are_reopened() {
    let dir = temp_dir();
    let files = Arc::new(Files::new(2, usize::MAX));
    let streams: Vec<EventFile> = (0..5)
        .map(|i| EventFile::new(dir.join(format!("{i}.events")), files.clone()))
        .collect();
    for round in 0..3 {
        for (i, s) in streams.iter().enumerate() {
            s.append(&[(round, &format!("{i}/{round}"))], 1).unwrap();
        }
    }
    for (i, s) in streams.iter().enumerate() {
        let got: Vec<String> = messages(s).into_iter().map(|(_, m)| m).collect();
        assert_eq!(got, [format!("{i}/0"), format!("{i}/1"), format!("{i}/2")]);
    }
    assert!(files.open.lock().unwrap().len() <= 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn appends_racing_reads_are_seen_whole_and_in_order() {
    let dir = temp_dir();
    let f = Arc::new(EventFile::new(
        dir.join("c.events"),
        Arc::new(Files::new(4, usize::MAX)),
    ));
    let writer = {
        let f = f.clone();
        std::thread::spawn(move || {
            for i in 0..2000i64 {
                f.append(&[(i, &format!("event {i}"))], i).unwrap();
            }
        })
    };
    let mut seen = 0;
    while seen < 2000 {
        let recs = f.range(Key::MIN, Key::MAX, all()).unwrap().read().unwrap();
        assert!(recs.len() >= seen, "events never disappear");
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.message, format!("event {i}"));
        }
        seen = recs.len();
    }
    writer.join().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn indexes_past_the_budget_are_dropped_and_rebuilt() {
    let dir = temp_dir();
    // Room for 20 entries: three streams of 8 do not fit.
    let files = Arc::new(Files::new(8, 20));
    let streams: Vec<EventFile> = (0..3)
        .map(|i| EventFile::new(dir.join(format!("{i}.events")), files.clone()))
        .collect();
    let events: Vec<(i64, &str)> = (0..8).map(|t| (t, "e")).collect();
    for s in &streams {
        s.append(&events, 1).unwrap();
    }
    let loaded = |s: &EventFile| matches!(*s.shared.slot.read().unwrap(), Slot::Loaded(_));
    assert!(
        !loaded(&streams[0]),
        "the least recently used index was dropped"
    );
    assert!(loaded(&streams[2]));
    assert!(files.loaded.load(Ordering::Relaxed) <= 20);
    // A dropped index is built again from its file when used.
    assert_eq!(messages(&streams[0]).len(), 8);
    assert!(loaded(&streams[0]));
    streams[0].append(&[(9, "more")], 2).unwrap();
    assert_eq!(streams[0].stats().unwrap().count, 9);
    // One index larger than the whole budget stays while it is used.
    let big: Vec<(i64, &str)> = (0..30).map(|t| (t, "e")).collect();
    streams[1].append(&big, 3).unwrap();
    assert!(loaded(&streams[1]));
    assert_eq!(streams[1].stats().unwrap().count, 38);
    for s in &streams {
        s.delete();
    }
    assert_eq!(files.loaded.load(Ordering::Relaxed), 0);
    std::fs::remove_dir_all(dir).unwrap();
}
