//! Schedule expressions: `rate(value unit)` and AWS's six-field `cron(min hour dom month dow
//! year)`, parsed once; the next firing time is computed, and the scheduler sleeps until then
//! (no polling).
//!
//! `rate` periods are scaled by the `SIMFRA_EVENTS_MINUTE_MILLIS` setting (how long one
//! minute of a rate lasts; default 60000) so that tests can use `rate(1 minute)` with a short
//! minute. `cron` follows the wall clock (UTC) and is not scaled.

use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, Timelike, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// A period in minutes.
    Rate(u64),
    Cron(Cron),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// Day-of-month: `None` is `?`; `Last` is `L`.
    dom: DayField,
    months: Vec<bool>,
    /// Day-of-week (1 = SUN ... 7 = SAT, AWS's numbering).
    dow: DayField,
    years: Option<Vec<(i32, i32, i32)>>,
}

#[derive(Debug, Clone, PartialEq)]
enum DayField {
    Any,
    Set(Vec<bool>),
    LastDayOfMonth,
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let expr = expr.trim();
        if let Some(inner) = expr.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            let mut parts = inner.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err("rate() takes a value and a unit, e.g. rate(5 minutes)".into());
            };
            let n: u64 = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("the rate value must be a positive whole number")?;
            let per = match unit {
                "minute" | "minutes" => 1,
                "hour" | "hours" => 60,
                "day" | "days" => 1440,
                _ => {
                    return Err(format!(
                        "'{unit}' is not a rate unit (minute(s), hour(s), day(s))"
                    ))
                }
            };
            let singular = !unit.ends_with('s');
            if (n == 1) != singular {
                return Err(format!(
                    "use '{}' with the value {n}",
                    if n == 1 {
                        unit.trim_end_matches('s').to_string()
                    } else {
                        format!("{unit}s")
                    }
                ));
            }
            return Ok(Schedule::Rate(n * per));
        }
        if let Some(inner) = expr.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            return Cron::parse(inner).map(Schedule::Cron);
        }
        Err("a schedule expression is rate(...) or cron(...)".into())
    }

    /// How long to wait from `now` (a rule created at `created`) until the next firing.
    pub fn next_delay(
        &self,
        now: DateTime<Utc>,
        created: DateTime<Utc>,
        minute: Duration,
    ) -> Option<Duration> {
        match self {
            Schedule::Rate(mins) => {
                let period = minute
                    .saturating_mul(*mins as u32)
                    .max(Duration::from_millis(10));
                let elapsed = (now - created).to_std().unwrap_or_default();
                let periods = elapsed.as_nanos() / period.as_nanos() + 1;
                let next = period.as_nanos() * periods;
                Some(Duration::from_nanos((next - elapsed.as_nanos()) as u64))
            }
            Schedule::Cron(c) => {
                let at = c.next_after(now)?;
                (at - now).to_std().ok()
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn parse_set(
    field: &str,
    min: u32,
    max: u32,
    names: &[&str],
    what: &str,
) -> Result<Vec<bool>, String> {
    let mut set = vec![false; (max + 1) as usize];
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + min);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("'{s}' is not a valid {what} ({min}-{max})"))
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("'{part}' has an invalid step"))?,
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
        if lo > hi {
            return Err(format!("'{part}' is an empty range"));
        }
        let mut v = lo;
        while v <= hi {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok(set)
}

impl Cron {
    fn parse(inner: &str) -> Result<Cron, String> {
        let f: Vec<&str> = inner.split_whitespace().collect();
        if f.len() != 6 {
            return Err(
                "cron() takes six fields: minutes hours day-of-month month day-of-week year".into(),
            );
        }
        let day = |s: &str, min, max, names: &[&str], what| -> Result<DayField, String> {
            match s {
                "?" => Ok(DayField::Any),
                "L" if what == "day-of-month" => Ok(DayField::LastDayOfMonth),
                _ if s.contains('#') || s.contains('W') || s.contains('L') => Err(format!(
                    "'{s}' ({what}) uses L, W or # forms simfra does not support"
                )),
                _ => parse_set(s, min, max, names, what).map(DayField::Set),
            }
        };
        let dom = day(f[2], 1, 31, &[], "day-of-month")?;
        let dow = day(f[4], 1, 7, &DAYS, "day-of-week")?;
        if (dom == DayField::Any) == (dow == DayField::Any) {
            return Err("exactly one of day-of-month and day-of-week must be '?'".into());
        }
        let years = if f[5] == "*" {
            None
        } else {
            let mut out = Vec::new();
            for part in f[5].split(',') {
                let (range, step) = match part.split_once('/') {
                    Some((r, s)) => (
                        r,
                        s.parse::<i32>()
                            .ok()
                            .filter(|s| *s > 0)
                            .ok_or("invalid year step")?,
                    ),
                    None => (part, 1),
                };
                let (a, b) = match range.split_once('-') {
                    Some((a, b)) => (a, b),
                    None => (range, if part.contains('/') { "2199" } else { range }),
                };
                let a: i32 = a
                    .parse()
                    .ok()
                    .filter(|y| (1970..=2199).contains(y))
                    .ok_or("invalid year (1970-2199)")?;
                let b: i32 = b
                    .parse()
                    .ok()
                    .filter(|y| (1970..=2199).contains(y))
                    .ok_or("invalid year (1970-2199)")?;
                out.push((a, b, step));
            }
            Some(out)
        };
        Ok(Cron {
            minutes: parse_set(f[0], 0, 59, &[], "minute")?,
            hours: parse_set(f[1], 0, 23, &[], "hour")?,
            dom,
            months: parse_set(f[3], 1, 12, &MONTHS, "month")?,
            dow,
            years,
        })
    }

    fn year_ok(&self, y: i32) -> bool {
        match &self.years {
            None => true,
            Some(list) => list
                .iter()
                .any(|(a, b, s)| y >= *a && y <= *b && (y - a) % s == 0),
        }
    }

    fn day_ok(&self, d: NaiveDate) -> bool {
        let last = d.succ_opt().is_none_or(|n| n.month() != d.month());
        let dom_ok = match &self.dom {
            DayField::Any => true,
            DayField::LastDayOfMonth => last,
            DayField::Set(s) => s[d.day() as usize],
        };
        let dow_ok = match &self.dow {
            DayField::Any => true,
            DayField::LastDayOfMonth => last,
            DayField::Set(s) => s[d.weekday().num_days_from_sunday() as usize + 1],
        };
        dom_ok && dow_ok && self.months[d.month() as usize] && self.year_ok(d.year())
    }

    /// The first matching minute strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = now.with_second(0)?.with_nanosecond(0)? + ChronoDuration::minutes(1);
        let mut day = start.date_naive();
        let limit = day.checked_add_days(chrono::Days::new(366 * 5))?;
        while day <= limit {
            if self.day_ok(day) {
                let first = if day == start.date_naive() {
                    start.hour() * 60 + start.minute()
                } else {
                    0
                };
                for m in first..1440 {
                    let (h, mi) = (m / 60, m % 60);
                    if self.hours[h as usize] && self.minutes[mi as usize] {
                        return day.and_hms_opt(h, mi, 0).map(|t| t.and_utc());
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rates() {
        assert_eq!(
            Schedule::parse("rate(1 minute)").unwrap(),
            Schedule::Rate(1)
        );
        assert_eq!(
            Schedule::parse("rate(5 minutes)").unwrap(),
            Schedule::Rate(5)
        );
        assert_eq!(
            Schedule::parse("rate(2 hours)").unwrap(),
            Schedule::Rate(120)
        );
        assert_eq!(
            Schedule::parse("rate(1 day)").unwrap(),
            Schedule::Rate(1440)
        );
        assert!(Schedule::parse("rate(1 minutes)").is_err());
        assert!(Schedule::parse("rate(5 minute)").is_err());
        assert!(Schedule::parse("rate(0 minutes)").is_err());
        assert!(Schedule::parse("rate(5 seconds)").is_err());
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let now = created + ChronoDuration::milliseconds(250);
        let d = Schedule::Rate(1)
            .next_delay(now, created, Duration::from_millis(100))
            .unwrap();
        assert_eq!(d, Duration::from_millis(50));
    }

    #[test]
    fn crons() {
        let c = match Schedule::parse("cron(0 10 * * ? *)").unwrap() {
            Schedule::Cron(c) => c,
            _ => unreachable!(),
        };
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 9, 30, 12).unwrap();
        assert_eq!(
            c.next_after(now).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 0).unwrap()
        );
        let now = Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 0).unwrap();
        assert_eq!(
            c.next_after(now).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 5, 10, 0, 0).unwrap()
        );
        // Every 15 minutes on weekdays (2026-03-07 is a Saturday).
        let Schedule::Cron(c) = Schedule::parse("cron(0/15 * ? * MON-FRI *)").unwrap() else {
            unreachable!()
        };
        let sat = Utc.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap();
        assert_eq!(
            c.next_after(sat).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap()
        );
        let mon = Utc.with_ymd_and_hms(2026, 3, 9, 8, 16, 0).unwrap();
        assert_eq!(
            c.next_after(mon).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 9, 8, 30, 0).unwrap()
        );
        // Last day of the month.
        let Schedule::Cron(c) = Schedule::parse("cron(0 0 L * ? *)").unwrap() else {
            unreachable!()
        };
        assert_eq!(
            c.next_after(mon).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 31, 0, 0, 0).unwrap()
        );
        // Errors.
        assert!(Schedule::parse("cron(0 10 * * * *)")
            .unwrap_err()
            .contains("'?'"));
        assert!(Schedule::parse("cron(0 10 * *)").is_err());
        assert!(Schedule::parse("cron(61 10 * * ? *)").is_err());
        assert!(Schedule::parse("every day").is_err());
        // A year in the past never fires.
        let Schedule::Cron(c) = Schedule::parse("cron(0 0 1 1 ? 1999)").unwrap() else {
            unreachable!()
        };
        assert!(c.next_after(mon).is_none());
    }
}
