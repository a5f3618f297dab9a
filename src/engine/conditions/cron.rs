//! The schedule of a `DeploymentWindow` rule: its `Cron` expression (six fields and an
//! optional year, as the rule's documentation describes: seconds, minutes, hours, day-of-month,
//! month, day-of-week, year) and its `TimeZone`. Pure: parsed once, asked "is this minute
//! inside a window?" and "when does the next window open?".
//!
//! Decisions where the rule's documentation leaves room:
//! - A cron expression names points in time, a deployment window a span. A minute is inside
//!   the window when every field matches it, at minute resolution: the seconds field is
//!   checked but not used, and a minutes field of exactly `0` means whole hours (so the
//!   documented example `0 0 9-17 ? * MON-FRI *` is open from 09:00 to 17:59 on weekdays).
//! - `?` in one day field lets the other decide; `*` in one day field with a value in the
//!   other counts as `?`, and `*` in both means every day. Values in both day fields, or `?`
//!   in both, are refused (as the expression's grammar does).
//! - Ranges may wrap (`FRI-MON`, `22-2`). `L`, `L-n`, `LW` and `nW` (day-of-month), `nL` and
//!   `n#k` (day-of-week) are supported; names are case-insensitive.
//! - Time zones are fixed offsets: `UTC`, `GMT`, `UTC+HH:MM`/`UTC-HH:MM` (also `GMT±…` and
//!   `UTC±H`), `Etc/GMT±N` (POSIX sign: `Etc/GMT-2` is two hours ahead of UTC), and the common
//!   abbreviations read literally (`PST` is always UTC-08:00, `PDT` UTC-07:00, `CET` UTC+01:00,
//!   ...). A `Region/City` zone (or an ambiguous abbreviation) follows daylight saving rules
//!   that simfra does not carry, so it is refused with a message suggesting a fixed offset.
//!   Without `TimeZone` the window is in UTC.
//! - The year field reaches 2199: a window that never opens again fails its rule at once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 2199;
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A deployment window's schedule: when it is open, in which time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    window: Window,
    zone: FixedZone,
}

impl Schedule {
    /// Parses the rule's `Cron` and optional `TimeZone`; the error says what is wrong.
    pub fn parse(cron: &str, time_zone: Option<&str>) -> Result<Schedule, String> {
        Ok(Schedule {
            window: Window::parse(cron)?,
            zone: match time_zone {
                Some(z) => FixedZone::parse(z)?,
                None => FixedZone::UTC,
            },
        })
    }

    pub fn zone(&self) -> FixedZone {
        self.zone
    }

    /// Whether the minute holding `now` is inside a window.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.window.matches(self.zone.local(now))
    }

    /// The start of the first window after `now` (the next minute that is inside one), or
    /// `None` when no window opens again.
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self.zone.local(now);
        let minute = local.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let next = self.window.first_match_from(minute)?;
        Some(self.zone.utc(next))
    }
}

/// A time zone as a fixed offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedZone {
    /// Minutes ahead of UTC.
    pub offset_minutes: i32,
}

/// Abbreviations read as their literal, fixed offset (in minutes).
const ABBREVIATIONS: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("UT", 0),
    ("Z", 0),
    ("WET", 0),
    ("WEST", 60),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("MSK", 180),
    ("GST", 240),
    ("PKT", 300),
    ("IST", 330),
    ("ICT", 420),
    ("WIB", 420),
    ("SGT", 480),
    ("HKT", 480),
    ("AWST", 480),
    ("JST", 540),
    ("KST", 540),
    ("ACST", 570),
    ("ACDT", 630),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
    ("HST", -600),
    ("AKST", -540),
    ("AKDT", -480),
    ("PST", -480),
    ("PDT", -420),
    ("MST", -420),
    ("MDT", -360),
    ("CST", -360),
    ("CDT", -300),
    ("EST", -300),
    ("EDT", -240),
    ("AST", -240),
    ("ADT", -180),
    ("NST", -210),
    ("NDT", -150),
    ("BRT", -180),
    ("ART", -180),
];

impl FixedZone {
    pub const UTC: FixedZone = FixedZone { offset_minutes: 0 };

    pub fn parse(zone: &str) -> Result<FixedZone, String> {
        let z = zone.trim();
        let refuse = || {
            format!(
                "TimeZone '{zone}' is not a time zone simfra knows as a fixed offset: use UTC, an offset such as UTC+02:00 or UTC-05:00, Etc/GMT-2, or an abbreviation such as PST or CET (region zones such as America/New_York follow daylight saving time, which simfra does not model)"
            )
        };
        if let Some(rest) = z
            .strip_prefix("Etc/GMT")
            .or_else(|| z.strip_prefix("Etc/UTC"))
        {
            if rest.is_empty() {
                return Ok(Self::UTC);
            }
            // POSIX zones count the other way round: Etc/GMT-2 is two hours ahead of UTC.
            let hours = signed_hours(rest).ok_or_else(refuse)?;
            return Self::checked(-hours * 60).ok_or_else(refuse);
        }
        for prefix in ["UTC", "GMT"] {
            if let Some(rest) = z.strip_prefix(prefix) {
                if rest.is_empty() {
                    return Ok(Self::UTC);
                }
                let minutes = signed_offset(rest).ok_or_else(refuse)?;
                return Self::checked(minutes).ok_or_else(refuse);
            }
        }
        ABBREVIATIONS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(z))
            .map(|(_, minutes)| FixedZone {
                offset_minutes: *minutes,
            })
            .ok_or_else(refuse)
    }

    fn checked(offset_minutes: i32) -> Option<FixedZone> {
        (offset_minutes.abs() <= 14 * 60).then_some(FixedZone { offset_minutes })
    }

    /// `UTC`, or `UTC+HH:MM` / `UTC-HH:MM`.
    pub fn label(&self) -> String {
        if self.offset_minutes == 0 {
            return "UTC".into();
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let m = self.offset_minutes.abs();
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }

    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + Duration::minutes(i64::from(self.offset_minutes))
    }

    fn utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        (local - Duration::minutes(i64::from(self.offset_minutes))).and_utc()
    }
}

/// `+2`, `-10` (whole hours).
fn signed_hours(s: &str) -> Option<i32> {
    let (sign, digits) = split_sign(s)?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(sign * digits.parse::<i32>().ok()?)
}

/// `+05:30`, `-3`, `+0200` (in minutes).
fn signed_offset(s: &str) -> Option<i32> {
    let (sign, rest) = split_sign(s)?;
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let digits = |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60).then_some(sign * (h * 60 + m))
}

fn split_sign(s: &str) -> Option<(i32, &str)> {
    if let Some(r) = s.strip_prefix('+') {
        Some((1, r))
    } else {
        s.strip_prefix('-').map(|r| (-1, r))
    }
}

/// The seven fields, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    /// Bits 0-59.
    minutes: u64,
    /// The minutes field is `0`: the window spans whole hours.
    whole_hours: bool,
    /// Bits 0-23.
    hours: u64,
    dom: Dom,
    /// Bits 1-12.
    months: u64,
    dow: Dow,
    /// (first, last, step) ranges; `None` is every year.
    years: Option<Vec<(i32, i32, i32)>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Dom {
    Any,
    /// Bits 1-31.
    Days(u64),
    /// `L` (0) or `L-n`: the last day of the month, or n days before it.
    Last(u32),
    /// `LW`: the last weekday of the month.
    LastWeekday,
    /// `nW`: the weekday nearest the nth, within the month.
    NearestWeekday(u32),
}

#[derive(Debug, Clone, PartialEq)]
enum Dow {
    Any,
    /// Bits 1-7 (1 = SUN ... 7 = SAT).
    Days(u64),
    /// `nL`: the last such day of the month.
    Last(u32),
    /// `n#k`: the kth such day of the month.
    Nth(u32, u32),
}

impl Window {
    fn parse(expr: &str) -> Result<Window, String> {
        let expr = expr.trim();
        if expr.starts_with("cron(") || expr.starts_with("rate(") {
            return Err(format!(
                "'{expr}' is not a deployment window expression: write its fields without cron(...): seconds minutes hours day-of-month month day-of-week [year], for example 0 0 9-17 ? * MON-FRI *"
            ));
        }
        let f: Vec<&str> = expr.split_whitespace().collect();
        if !(6..=7).contains(&f.len()) {
            return Err(format!(
                "'{expr}' has {} fields: a deployment window takes 6 fields and an optional year (seconds minutes hours day-of-month month day-of-week [year])",
                f.len()
            ));
        }
        mask(f[0], 0, 59, &[], "seconds")?;
        let minutes = mask(f[1], 0, 59, &[], "minutes")?;
        let hours = mask(f[2], 0, 23, &[], "hours")?;
        let months = mask(f[4], 1, 12, &MONTHS, "month")?;
        let (dom, dow) = match (f[3], f[5]) {
            ("?", "?") => {
                return Err("day-of-month and day-of-week cannot both be '?'".into());
            }
            ("?" | "*", "?" | "*") => (Dom::Any, Dow::Any),
            ("?" | "*", d) => (Dom::Any, parse_dow(d)?),
            (d, "?" | "*") => (parse_dom(d)?, Dow::Any),
            _ => {
                return Err(
                    "give a day-of-month or a day-of-week, and '?' in the other field".into(),
                )
            }
        };
        let years = match f.get(6) {
            None | Some(&"*") => None,
            Some(y) => Some(parse_years(y)?),
        };
        Ok(Window {
            minutes,
            whole_hours: f[1] == "0",
            hours,
            dom,
            months,
            dow,
            years,
        })
    }

    fn year_ok(&self, y: i32) -> bool {
        match &self.years {
            None => (MIN_YEAR..=MAX_YEAR).contains(&y),
            Some(list) => list
                .iter()
                .any(|(a, b, s)| y >= *a && y <= *b && (y - a) % s == 0),
        }
    }

    fn day_ok(&self, d: NaiveDate) -> bool {
        let last = last_day(d);
        let day = d.day();
        let weekday = |d: NaiveDate| d.weekday().number_from_monday() <= 5;
        let dom = match &self.dom {
            Dom::Any => true,
            Dom::Days(bits) => bit(*bits, day),
            Dom::Last(offset) => last.checked_sub(*offset) == Some(day),
            Dom::LastWeekday => {
                let mut t = d.with_day(last);
                while let Some(x) = t.filter(|x| !weekday(*x)) {
                    t = x.pred_opt();
                }
                t.map(|t| t.day()) == Some(day)
            }
            Dom::NearestWeekday(n) => nearest_weekday(d, *n, last) == Some(day),
        };
        // 1 = SUN ... 7 = SAT.
        let dow_number = d.weekday().num_days_from_sunday() + 1;
        let dow = match &self.dow {
            Dow::Any => true,
            Dow::Days(bits) => bit(*bits, dow_number),
            Dow::Last(w) => dow_number == *w && day + 7 > last,
            Dow::Nth(w, k) => dow_number == *w && (day - 1) / 7 + 1 == *k,
        };
        dom && dow
    }

    fn matches(&self, t: NaiveDateTime) -> bool {
        self.year_ok(t.year())
            && bit(self.months, t.month())
            && self.day_ok(t.date())
            && bit(self.hours, t.hour())
            && (self.whole_hours || bit(self.minutes, t.minute()))
    }

    /// The first minute at or after `from` (a whole minute) inside the window.
    fn first_match_from(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut t = from;
        loop {
            if t.year() > MAX_YEAR {
                return None;
            }
            if !self.year_ok(t.year()) {
                let y = (t.year() + 1..=MAX_YEAR).find(|y| self.year_ok(*y))?;
                t = NaiveDate::from_ymd_opt(y, 1, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !bit(self.months, t.month()) {
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                t = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.day_ok(t.date()) {
                t = t.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !bit(self.hours, t.hour()) {
                t = t.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if !self.whole_hours && !bit(self.minutes, t.minute()) {
                t += Duration::minutes(1);
                continue;
            }
            return Some(t);
        }
    }
}

fn bit(bits: u64, n: u32) -> bool {
    n < 64 && bits & (1 << n) != 0
}

fn last_day(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|n| n.pred_opt())
        .map_or(28, |l| l.day())
}

/// The day of the weekday nearest the nth of `d`'s month, never leaving the month; `None`
/// when the month has no nth.
fn nearest_weekday(d: NaiveDate, n: u32, last: u32) -> Option<u32> {
    if n > last {
        return None;
    }
    let target = d.with_day(n)?;
    Some(match target.weekday().number_from_monday() {
        6 if n == 1 => 3,
        6 => n - 1,
        7 if n == last => n - 2,
        7 => n + 1,
        _ => n,
    })
}

/// One numeric field (lists, ranges that may wrap, steps, names) as a bit set.
fn mask(field: &str, min: u32, max: u32, names: &[&str], what: &str) -> Result<u64, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + min);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("'{s}' is not a valid {what} value ({min}-{max})"))
    };
    let mut bits = 0u64;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| (1..=max.max(1)).contains(s))
                    .ok_or_else(|| format!("'{part}' has an invalid step in the {what} field"))?,
            ),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        // A range may wrap past the end (FRI-MON, 22-2).
        let size = max - min + 1;
        let span = if hi >= lo { hi - lo } else { size - (lo - hi) };
        let mut i = 0;
        while i <= span {
            bits |= 1 << (min + (lo - min + i) % size);
            i += step;
        }
    }
    Ok(bits)
}

fn parse_dom(s: &str) -> Result<Dom, String> {
    let upper = s.to_ascii_uppercase();
    let day = |d: &str| -> Result<u32, String> {
        d.parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
            .ok_or_else(|| format!("'{s}' is not a valid day-of-month value (1-31)"))
    };
    if upper == "L" {
        return Ok(Dom::Last(0));
    }
    if upper == "LW" {
        return Ok(Dom::LastWeekday);
    }
    if let Some(n) = upper.strip_prefix("L-") {
        let n = n
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 30)
            .ok_or_else(|| format!("'{s}' is not a valid day-of-month offset (L-0 to L-30)"))?;
        return Ok(Dom::Last(n));
    }
    if let Some(n) = upper.strip_suffix('W') {
        return Ok(Dom::NearestWeekday(day(n)?));
    }
    mask(s, 1, 31, &[], "day-of-month").map(Dom::Days)
}

fn parse_dow(s: &str) -> Result<Dow, String> {
    let upper = s.to_ascii_uppercase();
    let day = |d: &str| -> Result<u32, String> {
        if let Some(i) = DAYS.iter().position(|n| *n == d) {
            return Ok(i as u32 + 1);
        }
        d.parse::<u32>()
            .ok()
            .filter(|d| (1..=7).contains(d))
            .ok_or_else(|| format!("'{s}' is not a valid day-of-week value (1-7 or SUN-SAT)"))
    };
    if upper == "L" {
        return Ok(Dow::Days(1 << 7));
    }
    if let Some((d, k)) = upper.split_once('#') {
        let k = k
            .parse::<u32>()
            .ok()
            .filter(|k| (1..=5).contains(k))
            .ok_or_else(|| format!("'{s}' is not a valid day-of-week occurrence (#1 to #5)"))?;
        return Ok(Dow::Nth(day(d)?, k));
    }
    if let Some(d) = upper.strip_suffix('L') {
        return Ok(Dow::Last(day(d)?));
    }
    mask(s, 1, 7, &DAYS, "day-of-week").map(Dow::Days)
}

fn parse_years(field: &str) -> Result<Vec<(i32, i32, i32)>, String> {
    let year = |s: &str| -> Result<i32, String> {
        s.parse::<i32>()
            .ok()
            .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
            .ok_or_else(|| format!("'{s}' is not a valid year ({MIN_YEAR}-{MAX_YEAR})"))
    };
    field
        .split(',')
        .map(|part| {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (
                    r,
                    s.parse::<i32>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("'{part}' has an invalid step in the year field"))?,
                ),
                None => (part, 1),
            };
            let (a, b) = if range == "*" {
                (MIN_YEAR, MAX_YEAR)
            } else if let Some((a, b)) = range.split_once('-') {
                (year(a)?, year(b)?)
            } else {
                let a = year(range)?;
                (a, if part.contains('/') { MAX_YEAR } else { a })
            };
            if a > b {
                return Err(format!("'{part}' is an empty range of years"));
            }
            Ok((a, b, step))
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
        for bad in [
            "America/New_York",
            "Europe/Berlin",
            "UTC+15:00",
            "UTC+02:60",
            "UTC+",
            "Mars",
            "",
        ] {
            let e = z(bad).unwrap_err();
            assert!(e.contains("fixed offset"), "{bad}: {e}");
        }
        assert_eq!(FixedZone::parse("UTC-05:30").unwrap().label(), "UTC-05:30");
        assert_eq!(FixedZone::UTC.label(), "UTC");
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
}
