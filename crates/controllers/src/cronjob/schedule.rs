//! Cron schedules as upstream's CronJob controller reads them (the standard
//! five fields of robfig/cron, the `@hourly`-style descriptors and
//! `@every <duration>`), and the schedule arithmetic of its `utils.go`: the
//! most recent unmet start time, how many were missed, when to look next.

use k8s_openapi::jiff::civil::DateTime;
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::{SignedDuration, Timestamp, ToSpan};

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Cron(Cron),
    /// `@every <duration>`: every so many seconds from the previous time.
    Every(i64),
}

/// The five fields as bit sets, and whether day-of-month / day-of-week were
/// `*` (which makes the day match on the other alone).
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// Parses a schedule; the error is worded as robfig/cron's.
pub fn parse(text: &str) -> Result<Schedule, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty spec string".to_string());
    }
    if let Some(descriptor) = text.strip_prefix('@') {
        let standard = match descriptor {
            "yearly" | "annually" => "0 0 1 1 *",
            "monthly" => "0 0 1 * *",
            "weekly" => "0 0 * * 0",
            "daily" | "midnight" => "0 0 * * *",
            "hourly" => "0 * * * *",
            other => {
                if let Some(duration) = other.strip_prefix("every ") {
                    let nanos = parse_go_duration(duration.trim())
                        .map_err(|e| format!("failed to parse duration {text}: {e}"))?;
                    // At least a second, whole seconds only (robfig's `Every`).
                    return Ok(Schedule::Every((nanos / 1_000_000_000).max(1)));
                }
                return Err(format!("unrecognized descriptor: {text}"));
            }
        };
        return parse(standard);
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {text}",
            fields.len()
        ));
    }
    let (dom, dom_star) = field(fields[2], &DOM)?;
    let (dow, dow_star) = field(fields[4], &DOW)?;
    Ok(Schedule::Cron(Cron {
        minute: field(fields[0], &MINUTES)?.0,
        hour: field(fields[1], &HOURS)?.0,
        dom,
        month: field(fields[3], &MONTHS)?.0,
        dow,
        dom_star,
        dow_star,
    }))
}

/// One field: comma-separated ranges. The flag says it was a bare `*`/`?`.
fn field(text: &str, bounds: &Bounds) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in text.split(',') {
        let (b, s) = range(part, bounds)?;
        bits |= b;
        star |= s;
    }
    Ok((bits, star))
}

fn range(text: &str, bounds: &Bounds) -> Result<(u64, bool), String> {
    let steps: Vec<&str> = text.split('/').collect();
    let ends: Vec<&str> = steps[0].split('-').collect();
    let single = ends.len() == 1;
    let (start, mut end, mut star) = if ends[0] == "*" || ends[0] == "?" {
        (bounds.min, bounds.max, true)
    } else {
        let start = value(ends[0], bounds)?;
        let end = match ends.len() {
            1 => start,
            2 => value(ends[1], bounds)?,
            _ => return Err(format!("too many hyphens: {text}")),
        };
        (start, end, false)
    };
    let step = match steps.len() {
        1 => 1,
        2 => {
            let step = number(steps[1])?;
            // `N/step` means from N to the maximum.
            if single {
                end = bounds.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {text}")),
    };
    if start < bounds.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {text}",
            bounds.min
        ));
    }
    if end > bounds.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {text}",
            bounds.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {text}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {text}"));
    }
    let mut bits = 0u64;
    let mut at = start;
    while at <= end {
        bits |= 1 << at;
        at += step;
    }
    Ok((bits, star))
}

fn value(text: &str, bounds: &Bounds) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(position) = bounds.names.iter().position(|n| *n == lower) {
        return Ok(position as u32 + bounds.min);
    }
    number(text)
}

fn number(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| format!("failed to parse int from {text}"))
}

/// A Go duration (`1h30m`, `90s`, `1.5h`) in nanoseconds.
fn parse_go_duration(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Err("invalid duration \"\"".to_string());
    }
    if text == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in duration \"{text}\""))?;
        if digits == 0 {
            return Err(format!("invalid duration \"{text}\""));
        }
        let amount: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("invalid duration \"{text}\""))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            unit => return Err(format!("unknown unit \"{unit}\" in duration \"{text}\"")),
        };
        total += amount * scale;
        rest = &rest[unit_len..];
    }
    Ok(total as i64)
}

/// Loads a time zone as Go's `time.LoadLocation` (none or "" is UTC, as is
/// `Local` on a controller manager running in UTC).
pub fn load_zone(name: Option<&str>) -> Result<TimeZone, String> {
    let name = name.unwrap_or_default();
    if name.is_empty() || name == "UTC" || name == "Local" {
        return Ok(TimeZone::UTC);
    }
    let unknown = || format!("unknown time zone {name}");
    let safe = !name.starts_with('/')
        && !name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if !safe {
        return Err(unknown());
    }
    let dirs = [
        "/usr/share/zoneinfo",
        "/usr/lib/zoneinfo",
        "/usr/share/lib/zoneinfo",
    ];
    for dir in dirs {
        if let Ok(data) = std::fs::read(format!("{dir}/{name}")) {
            return TimeZone::tzif(name, &data).map_err(|_| unknown());
        }
    }
    Err(unknown())
}

impl Schedule {
    /// The first activation strictly after `after`.
    pub fn next(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        match self {
            Schedule::Every(seconds) => {
                let whole = after.as_second();
                Timestamp::from_second(whole.checked_add(*seconds)?).ok()
            }
            Schedule::Cron(cron) => cron.next(after, zone),
        }
    }
}

impl Cron {
    fn day_matches(&self, dt: DateTime) -> bool {
        let dom = self.dom & (1 << dt.day()) != 0;
        let dow = self.dow & (1 << dt.weekday().to_sunday_zero_offset()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    fn next(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let civil = after.to_zoned(zone.clone()).datetime();
        let mut dt = civil
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?
            .checked_add(1.minute())
            .ok()?;
        // Five years hold every valid combination (29 February included).
        let limit = dt.year() + 5;
        while dt.year() <= limit {
            if self.month & (1 << dt.month()) == 0 {
                dt = dt.last_of_month().date().tomorrow().ok()?.at(0, 0, 0, 0);
                continue;
            }
            if !self.day_matches(dt) {
                dt = dt.date().tomorrow().ok()?.at(0, 0, 0, 0);
                continue;
            }
            if self.hour & (1 << dt.hour()) == 0 {
                dt = dt
                    .with()
                    .minute(0)
                    .build()
                    .ok()?
                    .checked_add(1.hour())
                    .ok()?;
                continue;
            }
            if self.minute & (1 << dt.minute()) == 0 {
                dt = dt.checked_add(1.minute()).ok()?;
                continue;
            }
            // A civil time skipped by a clock change runs after the change.
            let at = zone.to_ambiguous_zoned(dt).compatible().ok()?.timestamp();
            if at > after {
                return Some(at);
            }
            dt = dt.checked_add(1.minute()).ok()?;
        }
        None
    }
}

/// How many start times were missed since the earliest time considered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    /// More than 100.
    Many,
}

/// Upstream's `mostRecentScheduleTime`: the earliest time considered (the
/// last schedule time or the creation, moved up to `now -
/// startingDeadlineSeconds` when `deadline` is given), the most recent start
/// time not after `now` (if any), and how many were missed.
pub fn most_recent(
    schedule: &Schedule,
    zone: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
    deadline: Option<i64>,
) -> Result<(Timestamp, Option<Timestamp>, Missed), String> {
    let mut earliest = earliest;
    if let Some(seconds) = deadline {
        if let Ok(limit) = now.checked_sub(SignedDuration::from_secs(seconds)) {
            if limit > earliest {
                earliest = limit;
            }
        }
    }
    let next = |t: Timestamp| schedule.next(t, zone);
    let Some(t1) = next(earliest) else {
        return Ok((earliest, None, Missed::None));
    };
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    let Some(t2) = next(t1) else {
        return Ok((earliest, Some(t1), Missed::None));
    };
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    let interval = (t2.as_millisecond() - t1.as_millisecond() + 500) / 1000;
    if interval < 1 {
        return Err("time difference between two schedules is less than 1 second".to_string());
    }
    let elapsed = (now.as_millisecond() - t1.as_millisecond()) / 1000;
    let missed = elapsed / interval + 1;
    let start = t1
        .checked_add(SignedDuration::from_secs((missed - 2) * interval))
        .unwrap_or(t1);
    let mut recent = None;
    let mut t = next(start);
    while let Some(at) = t.filter(|at| *at <= now) {
        recent = Some(at);
        t = next(at);
    }
    let kind = if missed > 100 {
        Missed::Many
    } else {
        Missed::Few
    };
    Ok((earliest, recent, kind))
}

/// How long until the next start time, plus 100 ms (upstream's
/// `nextScheduleTimeDuration`).
pub fn next_wait(
    schedule: &Schedule,
    zone: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> Option<std::time::Duration> {
    let from = match most_recent(schedule, zone, earliest, now, None) {
        Err(_) => now,
        Ok((_, Some(recent), _)) => recent,
        Ok((earliest, None, Missed::None)) => earliest,
        Ok((_, None, _)) => now,
    };
    let next = schedule.next(from, zone)?;
    let wait = next.as_millisecond() + 100 - now.as_millisecond();
    Some(std::time::Duration::from_millis(wait.max(0) as u64))
}

/// A time as Go's RFC 3339 layout prints it in `zone` (`Z` for UTC).
pub fn rfc3339_in(at: Timestamp, zone: &TimeZone) -> String {
    let zoned = at.to_zoned(zone.clone());
    let offset = zoned.offset().seconds();
    let base = zoned.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if offset == 0 {
        format!("{base}Z")
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.abs();
        format!(
            "{base}{sign}{:02}:{:02}",
            offset / 3600,
            (offset % 3600) / 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn next(spec: &str, after: &str) -> String {
        parse(spec)
            .unwrap()
            .next(ts(after), &TimeZone::UTC)
            .unwrap()
            .to_string()
    }

    #[test]
    fn standard_fields_and_descriptors() {
        assert_eq!(
            next("*/1 * * * *", "2026-01-01T10:00:00Z"),
            "2026-01-01T10:01:00Z"
        );
        assert_eq!(
            next("*/1 * * * *", "2026-01-01T10:00:30Z"),
            "2026-01-01T10:01:00Z"
        );
        assert_eq!(
            next("*/15 * * * *", "2026-01-01T10:01:00Z"),
            "2026-01-01T10:15:00Z"
        );
        assert_eq!(
            next("5 4 * * *", "2026-01-01T10:00:00Z"),
            "2026-01-02T04:05:00Z"
        );
        assert_eq!(
            next("0 0 1 jan *", "2026-03-01T00:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            next("30 6-16/4 * * 1-5", "2026-01-02T15:00:00Z"),
            "2026-01-05T06:30:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert_eq!(
            next("@hourly", "2026-01-01T10:00:00Z"),
            "2026-01-01T11:00:00Z"
        );
        assert_eq!(
            next("@daily", "2026-01-01T10:00:00Z"),
            "2026-01-02T00:00:00Z"
        );
        assert_eq!(
            next("@weekly", "2026-01-01T10:00:00Z"),
            "2026-01-04T00:00:00Z"
        );
        assert_eq!(
            next("@monthly", "2026-01-01T10:00:00Z"),
            "2026-02-01T00:00:00Z"
        );
        assert_eq!(
            next("@yearly", "2026-01-01T10:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            next("@every 90s", "2026-01-01T10:00:00Z"),
            "2026-01-01T10:01:30Z"
        );
        assert_eq!(
            next("5/20 * * * *", "2026-01-01T10:00:00Z"),
            "2026-01-01T10:05:00Z"
        );
        assert_eq!(
            next("0 9 * * MON", "2026-01-01T10:00:00Z"),
            "2026-01-05T09:00:00Z"
        );
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // Both restricted: either matches (the 13th, or a Friday).
        assert_eq!(
            next("0 0 13 * 5", "2026-01-01T00:00:00Z"),
            "2026-01-02T00:00:00Z"
        );
        // One is `*`: the other alone decides.
        assert_eq!(
            next("0 0 13 * *", "2026-01-01T00:00:00Z"),
            "2026-01-13T00:00:00Z"
        );
        assert_eq!(
            next("0 0 * * 5", "2026-01-03T00:00:00Z"),
            "2026-01-09T00:00:00Z"
        );
    }

    #[test]
    fn errors_read_as_upstream() {
        assert!(parse("* * * *")
            .unwrap_err()
            .contains("expected exactly 5 fields"));
        assert!(parse("60 * * * *").unwrap_err().contains("above maximum"));
        assert!(parse("5-1 * * * *")
            .unwrap_err()
            .contains("beyond end of range"));
        assert!(parse("*/0 * * * *").unwrap_err().contains("positive"));
        assert!(parse("x * * * *")
            .unwrap_err()
            .contains("failed to parse int from x"));
        assert!(parse("@fortnightly")
            .unwrap_err()
            .contains("unrecognized descriptor"));
        assert!(parse("0 0 31 2 *").is_ok());
    }

    #[test]
    fn time_zones_shift_the_schedule() {
        let tokyo = load_zone(Some("Asia/Tokyo")).unwrap();
        let at = parse("0 9 * * *")
            .unwrap()
            .next(ts("2026-01-01T00:00:00Z"), &tokyo)
            .unwrap();
        assert_eq!(at.to_string(), "2026-01-02T00:00:00Z");
        assert_eq!(rfc3339_in(at, &tokyo), "2026-01-02T09:00:00+09:00");
        assert_eq!(rfc3339_in(at, &TimeZone::UTC), "2026-01-02T00:00:00Z");
        assert!(load_zone(Some("Mars/Olympus"))
            .unwrap_err()
            .contains("unknown time zone"));
        assert!(load_zone(Some("../etc/passwd")).is_err());
        assert!(load_zone(None).is_ok());
        // Spring forward in New York: 02:30 does not exist on 2026-03-08.
        let ny = load_zone(Some("America/New_York")).unwrap();
        let at = parse("30 2 * * *")
            .unwrap()
            .next(ts("2026-03-08T05:00:00Z"), &ny)
            .unwrap();
        assert_eq!(at.to_string(), "2026-03-08T07:30:00Z");
    }

    #[test]
    fn most_recent_and_missed_times() {
        let every_minute = parse("*/1 * * * *").unwrap();
        let utc = TimeZone::UTC;
        let created = ts("2026-01-01T10:00:30Z");
        // Nothing due yet.
        let (_, recent, missed) = most_recent(
            &every_minute,
            &utc,
            created,
            ts("2026-01-01T10:00:50Z"),
            None,
        )
        .unwrap();
        assert_eq!((recent, missed), (None, Missed::None));
        // One due.
        let (_, recent, missed) = most_recent(
            &every_minute,
            &utc,
            created,
            ts("2026-01-01T10:01:10Z"),
            None,
        )
        .unwrap();
        assert_eq!(
            (recent, missed),
            (Some(ts("2026-01-01T10:01:00Z")), Missed::None)
        );
        // A few missed: the latest is the one to run.
        let (_, recent, missed) = most_recent(
            &every_minute,
            &utc,
            created,
            ts("2026-01-01T10:05:10Z"),
            None,
        )
        .unwrap();
        assert_eq!(
            (recent, missed),
            (Some(ts("2026-01-01T10:05:00Z")), Missed::Few)
        );
        // Too many missed.
        let (_, recent, missed) = most_recent(
            &every_minute,
            &utc,
            created,
            ts("2026-01-02T10:00:10Z"),
            None,
        )
        .unwrap();
        assert_eq!(
            (recent, missed),
            (Some(ts("2026-01-02T10:00:00Z")), Missed::Many)
        );
        // startingDeadlineSeconds bounds how far back to look.
        let (earliest, recent, missed) = most_recent(
            &every_minute,
            &utc,
            created,
            ts("2026-01-02T10:00:10Z"),
            Some(200),
        )
        .unwrap();
        assert_eq!(earliest, ts("2026-01-02T09:56:50Z"));
        assert_eq!(
            (recent, missed),
            (Some(ts("2026-01-02T10:00:00Z")), Missed::Few)
        );
        // An irregular schedule still finds the latest time.
        let irregular = parse("30 6-16/4 * * 1-5").unwrap();
        let (_, recent, _) = most_recent(
            &irregular,
            &utc,
            ts("2026-01-05T00:00:00Z"),
            ts("2026-01-07T12:00:00Z"),
            None,
        )
        .unwrap();
        assert_eq!(recent, Some(ts("2026-01-07T10:30:00Z")));
    }

    #[test]
    fn next_wait_aims_past_the_next_time() {
        let every_minute = parse("*/1 * * * *").unwrap();
        let wait = next_wait(
            &every_minute,
            &TimeZone::UTC,
            ts("2026-01-01T10:00:30Z"),
            ts("2026-01-01T10:00:40Z"),
        );
        assert_eq!(wait, Some(std::time::Duration::from_millis(20_100)));
    }
}
