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
//! - `TimeZone` is an IANA zone name (`America/New_York`, `Europe/Berlin`, `Asia/Kolkata`,
//!   `US/Eastern`, ...; case as in the zone database), whose daylight saving rules apply, or a
//!   fixed offset: `UTC`, `GMT`, `UTC+HH:MM`/`UTC-HH:MM` (also `GMT±…` and `UTC±H`),
//!   `Etc/GMT±N` (POSIX sign: `Etc/GMT-2` is two hours ahead of UTC), and the common
//!   abbreviations read literally (`PST` is always UTC-08:00, `PDT` UTC-07:00, `CET`
//!   UTC+01:00, ...). Anything else is refused. Without `TimeZone` the window is in UTC.
//! - Daylight saving: the window is asked about real minutes (UTC minutes read as the zone's
//!   local time). A local minute that does not exist (the hour skipped in spring) is never
//!   inside a window; a local minute that happens twice (the hour repeated in autumn) is
//!   inside it both times. The next opening is found the same way, one stretch of constant
//!   offset at a time, so it stays right across a change. The zone database is compiled in
//!   (`chrono-tz`); its daylight saving rules run to 2099, later years keep standard time.
//! - The year field reaches 2199: a window that never opens again fails its rule at once.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

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
    zone: Zone,
}

impl Schedule {
    /// Parses the rule's `Cron` and optional `TimeZone`; the error says what is wrong.
    pub fn parse(cron: &str, time_zone: Option<&str>) -> Result<Schedule, String> {
        Ok(Schedule {
            window: Window::parse(cron)?,
            zone: match time_zone {
                Some(z) => Zone::parse(z)?,
                None => Zone::Fixed(FixedZone::UTC),
            },
        })
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Whether the minute holding `now` is inside a window.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.window.matches(self.zone.local(now))
    }

    /// The start of the first window after `now` (the next minute that is inside one), or
    /// `None` when no window opens again.
    pub fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut from = now.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        // One stretch of constant offset at a time: inside one, local time runs with UTC. When
        // no local time from `from`'s on matches, only a change of offset within the next
        // day or so (clocks going back) could bring one again.
        loop {
            let offset = self.zone.offset_at(from);
            let candidate = self
                .window
                .first_match_from(from.naive_utc() + offset)
                .map(|local| (local - offset).and_utc());
            let until = candidate.unwrap_or(from + Duration::days(2));
            match self.zone.next_change(from, until) {
                Some(change) => from = change,
                None => return candidate,
            }
        }
    }
}

/// A `TimeZone`: a fixed offset, or a zone of the IANA database with its daylight saving rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedZone),
    Region(Tz),
}

impl Zone {
    /// A fixed offset if the name is one, else an IANA zone name.
    pub fn parse(zone: &str) -> Result<Zone, String> {
        if let Ok(fixed) = FixedZone::parse(zone) {
            return Ok(Zone::Fixed(fixed));
        }
        zone.trim().parse::<Tz>().map(Zone::Region).map_err(|_| {
            format!(
                "TimeZone '{zone}' is not a time zone simfra knows: use an IANA zone name such as America/New_York or Europe/Berlin (the case matters), UTC, an offset such as UTC+02:00 or UTC-05:00, Etc/GMT-2, or an abbreviation such as PST or CET (read as a fixed offset)"
            )
        })
    }

    /// `UTC`, `UTC+HH:MM`, or the zone's name.
    pub fn label(&self) -> String {
        match self {
            Zone::Fixed(f) => f.label(),
            Zone::Region(tz) => tz.name().to_string(),
        }
    }

    /// How far ahead of UTC the zone's clocks are at `t`.
    fn offset_at(&self, t: DateTime<Utc>) -> Duration {
        match self {
            Zone::Fixed(f) => Duration::minutes(i64::from(f.offset_minutes)),
            Zone::Region(tz) => Duration::seconds(i64::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )),
        }
    }

    /// The wall-clock time at `t`.
    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + self.offset_at(t)
    }

    /// The first minute in `(from, until]` whose offset differs from `from`'s, if any. The
    /// zone is sampled every 12 hours (no zone changes its offset twice within that) and the
    /// change is then found to the minute.
    fn next_change(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if matches!(self, Zone::Fixed(_)) || until <= from {
            return None;
        }
        let offset = self.offset_at(from);
        let step = Duration::hours(12);
        let mut before = from;
        let mut after = loop {
            let next = (before + step).min(until);
            if self.offset_at(next) != offset {
                break next;
            }
            if next >= until {
                return None;
            }
            before = next;
        };
        while after - before > Duration::minutes(1) {
            let mid = before + Duration::minutes((after - before).num_minutes() / 2);
            if self.offset_at(mid) == offset {
                before = mid;
            } else {
                after = mid;
            }
        }
        Some(after)
    }
}

/// A time zone as a fixed offset from UTC (an offset, `Etc/GMT±N`, or an abbreviation).
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
                "TimeZone '{zone}' is not a fixed offset: use UTC, an offset such as UTC+02:00 or UTC-05:00, Etc/GMT-2, or an abbreviation such as PST or CET"
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
#[path = "cron_tests.rs"]
mod tests;
