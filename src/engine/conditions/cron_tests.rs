//! Tests of deployment window schedules: the cron fields, fixed offsets and IANA zones
//! across daylight saving changes.

use super::*;
use chrono::TimeZone;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 30).unwrap()
}

fn open(cron: &str, zone: Option<&str>, t: DateTime<Utc>) -> bool {
    Schedule::parse(cron, zone).unwrap().is_open(t)
}

#[test]
fn the_documented_example_is_open_on_weekday_working_hours() {
    let s = Schedule::parse("0 0 9-17 ? * MON-FRI *", None).unwrap();
    // 2026-03-04 is a Wednesday, 2026-03-07 a Saturday.
    assert!(s.is_open(at(2026, 3, 4, 9, 0)));
    assert!(s.is_open(at(2026, 3, 4, 17, 59)));
    assert!(!s.is_open(at(2026, 3, 4, 18, 0)));
    assert!(!s.is_open(at(2026, 3, 4, 8, 59)));
    assert!(!s.is_open(at(2026, 3, 7, 12, 0)));
    assert_eq!(
        s.next_opening(at(2026, 3, 7, 12, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap(),
        "Saturday noon: Monday 09:00"
    );
    assert_eq!(
        s.next_opening(at(2026, 3, 4, 18, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 5, 9, 0, 0).unwrap()
    );
}

#[test]
fn minutes_other_than_zero_are_matched_minute_by_minute() {
    let s = Schedule::parse("0 15,45 * * * ?", None).unwrap();
    assert!(s.is_open(at(2026, 1, 1, 3, 15)));
    assert!(!s.is_open(at(2026, 1, 1, 3, 16)));
    assert_eq!(
        s.next_opening(at(2026, 1, 1, 3, 16)).unwrap(),
        Utc.with_ymd_and_hms(2026, 1, 1, 3, 45, 0).unwrap()
    );
    let every = Schedule::parse("* */10 * ? * *", None).unwrap();
    assert!(every.is_open(at(2026, 1, 1, 3, 20)));
    assert!(!every.is_open(at(2026, 1, 1, 3, 21)));
    assert!(open("* * * * * ?", None, at(2030, 6, 1, 0, 0)));
    assert!(open("* * * * * ? *", None, at(2030, 6, 1, 0, 0)));
}

#[test]
fn time_zones_shift_the_window() {
    // 09:00-17:59 at UTC+02:00 is 07:00-15:59 UTC.
    assert!(open(
        "0 0 9-17 ? * MON-FRI *",
        Some("UTC+02:00"),
        at(2026, 3, 4, 7, 0)
    ));
    assert!(!open(
        "0 0 9-17 ? * MON-FRI *",
        Some("UTC+02:00"),
        at(2026, 3, 4, 16, 0)
    ));
    // Etc/GMT-2 is the same zone; PST is always UTC-08:00.
    assert!(open(
        "0 0 9-17 ? * MON-FRI *",
        Some("Etc/GMT-2"),
        at(2026, 3, 4, 7, 0)
    ));
    assert!(open(
        "0 0 9-17 ? * MON-FRI *",
        Some("PST"),
        at(2026, 3, 4, 17, 0)
    ));
    // Across midnight: Wednesday 01:00 at UTC+05:30 is Tuesday 19:30 UTC.
    let s = Schedule::parse("0 0 1 ? * WED *", Some("UTC+05:30")).unwrap();
    assert!(s.is_open(at(2026, 3, 3, 19, 30)));
    assert_eq!(
        s.next_opening(at(2026, 3, 4, 0, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 10, 19, 30, 0).unwrap()
    );
}

#[test]
fn zones() {
    let z = |s: &str| FixedZone::parse(s).map(|z| z.offset_minutes);
    assert_eq!(z("UTC"), Ok(0));
    assert_eq!(z("GMT"), Ok(0));
    assert_eq!(z("UTC+05:30"), Ok(330));
    assert_eq!(z("UTC-03:00"), Ok(-180));
    assert_eq!(z("UTC+2"), Ok(120));
    assert_eq!(z("GMT-0930"), Ok(-570));
    assert_eq!(z("Etc/GMT+5"), Ok(-300));
    assert_eq!(z("Etc/UTC"), Ok(0));
    assert_eq!(z("cet"), Ok(60));
    // Fixed offsets stay fixed; IANA names are zones with their rules.
    assert_eq!(
        Zone::parse("PST").unwrap(),
        Zone::Fixed(FixedZone {
            offset_minutes: -480
        })
    );
    assert_eq!(
        Zone::parse("America/New_York").unwrap(),
        Zone::Region(chrono_tz::America::New_York)
    );
    assert_eq!(Zone::parse("Asia/Kolkata").unwrap().label(), "Asia/Kolkata");
    assert!(Zone::parse("US/Eastern").is_ok(), "links of the database");
    for bad in [
        "Mars/Olympus",
        "america/new_york",
        "Europe/Berlinn",
        "UTC+15:00",
        "UTC+02:60",
        "UTC+",
        "Mars",
        "",
    ] {
        let e = Zone::parse(bad).unwrap_err();
        assert!(e.contains("not a time zone simfra knows"), "{bad}: {e}");
        assert!(Schedule::parse("* * * * * ?", Some(bad)).is_err(), "{bad}");
    }
    assert_eq!(FixedZone::parse("UTC-05:30").unwrap().label(), "UTC-05:30");
    assert_eq!(FixedZone::UTC.label(), "UTC");
}

#[test]
fn region_zones_follow_daylight_saving_time() {
    // 09:00-09:59 on weekdays in New York: 14:00 UTC in January (EST, UTC-5), 13:00 UTC in
    // July (EDT, UTC-4).
    let s = Schedule::parse("0 0 9 ? * MON-FRI *", Some("America/New_York")).unwrap();
    // 2026-01-14 and 2026-07-15 are Wednesdays.
    assert!(s.is_open(at(2026, 1, 14, 14, 0)));
    assert!(s.is_open(at(2026, 1, 14, 14, 59)));
    assert!(!s.is_open(at(2026, 1, 14, 13, 59)));
    assert!(!s.is_open(at(2026, 1, 14, 15, 0)));
    assert!(s.is_open(at(2026, 7, 15, 13, 0)));
    assert!(!s.is_open(at(2026, 7, 15, 14, 0)));
    assert!(!s.is_open(at(2026, 7, 15, 12, 59)));
    assert_eq!(
        s.next_opening(at(2026, 1, 17, 12, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 1, 19, 14, 0, 0).unwrap(),
        "Saturday: Monday 09:00 EST"
    );
    // Clocks go forward on Sunday 2026-03-08: Friday's 09:00 was 14:00 UTC, Monday's is
    // 13:00 UTC.
    assert!(s.is_open(at(2026, 3, 6, 14, 30)));
    assert_eq!(
        s.next_opening(at(2026, 3, 6, 15, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 9, 13, 0, 0).unwrap()
    );
    // And back on Sunday 2026-11-01.
    assert_eq!(
        s.next_opening(at(2026, 10, 30, 14, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 2, 14, 0, 0).unwrap()
    );
    // Other zones: Berlin in summer (UTC+2), Kolkata all year (UTC+05:30).
    let berlin = Schedule::parse("0 0 9 ? * * *", Some("Europe/Berlin")).unwrap();
    assert!(berlin.is_open(at(2026, 7, 15, 7, 0)));
    assert!(berlin.is_open(at(2026, 1, 14, 8, 0)));
    let kolkata = Schedule::parse("0 0 9 ? * * *", Some("Asia/Kolkata")).unwrap();
    assert!(kolkata.is_open(at(2026, 7, 15, 3, 30)));
    assert!(!kolkata.is_open(at(2026, 7, 15, 3, 29)));
    assert_eq!(
        kolkata.next_opening(at(2026, 7, 15, 5, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 7, 16, 3, 30, 0).unwrap()
    );
    assert_eq!(kolkata.zone().label(), "Asia/Kolkata");
    // Far ahead, across every change on the way (the database's rules run to 2099).
    let far = Schedule::parse("0 0 9-17 ? * MON-FRI 2199", Some("America/New_York")).unwrap();
    assert_eq!(
        far.next_opening(at(2026, 3, 4, 10, 0)).unwrap(),
        Utc.with_ymd_and_hms(2199, 1, 1, 14, 0, 0).unwrap()
    );
}

#[test]
fn a_local_minute_that_does_not_exist_is_skipped() {
    // New York skips 02:00-02:59 on 2026-03-08 (01:59 EST is followed by 03:00 EDT).
    let daily = Schedule::parse("0 0 2 ? * * *", Some("America/New_York")).unwrap();
    for minute in 0..120 {
        let t = at(2026, 3, 8, 6, 0) + Duration::minutes(minute);
        assert!(!daily.is_open(t), "{t}");
    }
    assert!(
        daily.is_open(at(2026, 3, 7, 7, 0)),
        "02:00 EST the day before"
    );
    assert_eq!(
        daily.next_opening(at(2026, 3, 8, 6, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 9, 6, 0, 0).unwrap(),
        "02:00 EDT the next day"
    );
    // A window only in the skipped hour never opens that year; the next year's 8 March
    // comes before the change.
    let gap = Schedule::parse("0 30 2 8 3 ? 2026", Some("America/New_York")).unwrap();
    assert_eq!(gap.next_opening(at(2026, 3, 1, 0, 0)), None);
    let yearly = Schedule::parse("0 30 2 8 3 ? *", Some("America/New_York")).unwrap();
    assert_eq!(
        yearly.next_opening(at(2026, 3, 1, 0, 0)).unwrap(),
        Utc.with_ymd_and_hms(2027, 3, 8, 7, 30, 0).unwrap()
    );
}

#[test]
fn a_local_minute_that_happens_twice_opens_twice() {
    // New York repeats 01:00-01:59 on 2026-11-01: 05:xx UTC (EDT), then 06:xx UTC (EST).
    let s = Schedule::parse("0 30 1 ? * * *", Some("America/New_York")).unwrap();
    assert!(s.is_open(at(2026, 11, 1, 5, 30)));
    assert!(s.is_open(at(2026, 11, 1, 6, 30)));
    assert!(!s.is_open(at(2026, 11, 1, 5, 31)));
    assert_eq!(
        s.next_opening(at(2026, 11, 1, 5, 40)).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap(),
        "the second 01:30, the same night"
    );
    assert_eq!(
        s.next_opening(at(2026, 11, 1, 6, 30)).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 2, 6, 30, 0).unwrap()
    );
    assert_eq!(
        s.next_opening(at(2026, 10, 31, 6, 0)).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap(),
        "the first 01:30"
    );
}

#[test]
fn special_day_forms() {
    // March 2026: the 1st is a Sunday, the 31st a Tuesday.
    assert!(open("* * * L * ?", None, at(2026, 3, 31, 10, 0)));
    assert!(!open("* * * L * ?", None, at(2026, 3, 30, 10, 0)));
    assert!(open("* * * L-2 * ?", None, at(2026, 3, 29, 10, 0)));
    assert!(
        open("* * * LW * ?", None, at(2026, 2, 27, 10, 0)),
        "Friday 27 Feb"
    );
    assert!(!open("* * * LW * ?", None, at(2026, 2, 28, 10, 0)));
    // 1W: the 1st is a Sunday, so Monday the 2nd.
    assert!(open("* * * 1W * ?", None, at(2026, 3, 2, 10, 0)));
    assert!(!open("* * * 1W * ?", None, at(2026, 3, 1, 10, 0)));
    // 15W: the 15th of August 2026 is a Saturday, so Friday the 14th.
    assert!(open("* * * 15W * ?", None, at(2026, 8, 14, 10, 0)));
    // The last Friday (6L) and the third Friday (6#3) of March 2026: the 27th and 20th.
    assert!(open("* * * ? * 6L", None, at(2026, 3, 27, 10, 0)));
    assert!(!open("* * * ? * 6L", None, at(2026, 3, 20, 10, 0)));
    assert!(open("* * * ? * FRI#3", None, at(2026, 3, 20, 10, 0)));
    assert!(!open("* * * ? * 6#3", None, at(2026, 3, 13, 10, 0)));
    // L alone in day-of-week is Saturday; ranges wrap.
    assert!(open("* * * ? * L", None, at(2026, 3, 7, 10, 0)));
    assert!(open("* * * ? * FRI-MON", None, at(2026, 3, 8, 10, 0)));
    assert!(!open("* * * ? * FRI-MON", None, at(2026, 3, 4, 10, 0)));
    assert!(open("* * 22-2 * * ?", None, at(2026, 3, 4, 1, 0)));
    assert!(!open("* * 22-2 * * ?", None, at(2026, 3, 4, 12, 0)));
    assert!(open("* * * * jan-mar ?", None, at(2026, 2, 4, 12, 0)));
    assert!(!open("* * * * jan-mar ?", None, at(2026, 4, 4, 12, 0)));
}

#[test]
fn years_and_windows_that_never_open_again() {
    let future = Schedule::parse("* * * * * ? 2199", None).unwrap();
    assert!(!future.is_open(at(2026, 3, 4, 10, 0)));
    assert_eq!(
        future.next_opening(at(2026, 3, 4, 10, 0)).unwrap(),
        Utc.with_ymd_and_hms(2199, 1, 1, 0, 0, 0).unwrap()
    );
    let past = Schedule::parse("* * * * * ? 1999", None).unwrap();
    assert_eq!(past.next_opening(at(2026, 3, 4, 10, 0)), None);
    let never = Schedule::parse("* * * 31 FEB ?", None).unwrap();
    assert_eq!(never.next_opening(at(2026, 3, 4, 10, 0)), None);
    let every_other = Schedule::parse("0 0 12 1 1 ? 2027/2", None).unwrap();
    assert_eq!(
        every_other.next_opening(at(2026, 3, 4, 10, 0)).unwrap(),
        Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
    );
    assert!(!every_other.is_open(at(2028, 1, 1, 12, 0)));
    assert!(every_other.is_open(at(2029, 1, 1, 12, 0)));
}

#[test]
fn invalid_expressions_say_why() {
    for (bad, says) in [
        ("cron(0 9 * * ? *)", "without cron(...)"),
        ("0 9 * * ?", "5 fields"),
        ("0 0 9 * * ? * *", "8 fields"),
        ("0 60 * * * ?", "minutes"),
        ("0 0 24 * * ?", "hours"),
        ("0 0 9 32 * ?", "day-of-month"),
        ("0 0 9 ? 13 *", "month"),
        ("0 0 9 ? * 8", "day-of-week"),
        ("0 0 9 ? * FUN", "day-of-week"),
        ("0 0 9 ? ? ?", "month"),
        ("0 0 9 ? * ?", "both be '?'"),
        ("0 0 9 1 * MON", "'?' in the other"),
        ("0 0 9 ? * MON 1969", "year"),
        ("0 0 9 ? * MON 2030-2020", "empty range"),
        ("0 */0 9 ? * MON", "step"),
        ("0 0 9 ? * 6#6", "occurrence"),
        ("0 0 9 L-31 * ?", "offset"),
        ("70 0 9 ? * MON", "seconds"),
    ] {
        let e = Schedule::parse(bad, None).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}
