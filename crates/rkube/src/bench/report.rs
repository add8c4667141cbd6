//! The results: percentiles, and one Markdown table with a column per store
//! and the targets of issue 2.

use std::time::Duration;

use super::creates::Creates;
use super::list::Lists;
use super::server::CpuTimes;
use super::watch::Fanout;

/// Everything measured on one store.
pub struct Column {
    /// The column's title, such as "`server`, embedded (SQLite)".
    pub store: String,
    /// The subcommand measured (`server` or `apiserver`), and whether on etcd.
    pub command: String,
    pub on_etcd: bool,
    pub ready_after: Duration,
    pub idle_rss: u64,
    pub creates: Creates,
    /// The CPU used while the pods were created.
    pub create_cpu: CpuTimes,
    /// The concurrent writing clients, and the HTTP/2 connections they share.
    pub clients: usize,
    pub connections: usize,
    pub lists: Lists,
    pub fanout: Fanout,
    pub final_rss: u64,
}

/// The targets of issue 2.
const READY_TARGET: Duration = Duration::from_secs(1);
const IDLE_RSS_TARGET: u64 = 50 << 20;
const CREATES_TARGET: f64 = 5_000.0;
const LIST_TARGET: Duration = Duration::from_millis(100);

/// The nearest-rank percentile `p` (0 < p ≤ 100) of `values`: the smallest value
/// at least `p` % of the values are at or below. `None` when there are none.
pub fn percentile(values: &[Duration], p: f64) -> Option<Duration> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// One row: a label, a target, and per column the figure and whether it meets
/// the target (`None` when the row has no target).
struct Row {
    label: String,
    target: &'static str,
    cells: Vec<(String, Option<bool>)>,
}

/// The Markdown table of `columns`, then a line per missed target.
pub fn render(columns: &[Column]) -> String {
    let Some(first) = columns.first() else {
        return String::new();
    };
    let row = |label: String,
               target: &'static str,
               cell: &dyn Fn(&Column) -> (String, Option<bool>)| Row {
        label,
        target,
        cells: columns.iter().map(cell).collect(),
    };
    let rows = vec![
        row("start: spawn to the first `/readyz` OK".into(), "< 1 s", &|c| {
            (seconds(c.ready_after), Some(c.ready_after < READY_TARGET))
        }),
        row(
            "idle resident memory (VmRSS, 3 s after ready)".into(),
            "< 50 MiB",
            &|c| (mebibytes(c.idle_rss), Some(c.idle_rss < IDLE_RSS_TARGET)),
        ),
        row(
            format!(
                "pod creates/s: {} pods, {} clients, {}",
                thousands(first.creates.count),
                first.clients,
                connections(first.connections)
            ),
            "≥ 5,000/s embedded; embedded > etcd",
            &|c| {
                let rate = c.creates.per_second();
                (
                    format!("{}/s", thousands(rate.round() as usize)),
                    (!c.on_etcd).then_some(rate >= CREATES_TARGET),
                )
            },
        ),
        row("create latency p50 / p99".into(), "", &|c| {
            (
                millis_pair(&c.creates.latencies, &[50.0, 99.0]),
                None,
            )
        }),
        row(
            "CPU time per create, until the server is idle again: server / benchmark clients".into(),
            "",
            &|c| (per_operation(c.create_cpu, c.creates.count), None),
        ),
        row(
            format!(
                "LIST {} pods ({}), full body: median / p99 of {} runs",
                thousands(first.lists.pods),
                mebibytes(first.lists.bytes as u64),
                first.lists.durations.len()
            ),
            "< 100 ms",
            &|c| {
                let p99 = percentile(&c.lists.durations, 99.0).unwrap_or_default();
                (
                    millis_pair(&c.lists.durations, &[50.0, 99.0]),
                    Some(p99 < LIST_TARGET),
                )
            },
        ),
        row(
            format!(
                "{} watchers ({}), burst of {} creates: burst start to each watcher's last event, p50 / p99 / max",
                thousands(first.fanout.watchers),
                connections(first.fanout.connections),
                thousands(first.fanout.burst.count)
            ),
            "",
            &|c| (millis_pair(&c.fanout.delivered, &[50.0, 99.0, 100.0]), None),
        ),
        row("MODIFIED events per watcher before its last ADDED (mean)".into(), "", &|c| {
            (
                format!("{:.0}", c.fanout.modified as f64 / c.fanout.watchers.max(1) as f64),
                None,
            )
        }),
        row("the burst's creates themselves took".into(), "", &|c| {
            (
                format!("{:.0} ms", c.fanout.burst.elapsed.as_secs_f64() * 1e3),
                None,
            )
        }),
        row(
            "CPU time per delivered event: server / benchmark clients".into(),
            "",
            &|c| {
                let events = c.fanout.watchers * c.fanout.burst.count;
                (per_operation(c.fanout.cpu, events), None)
            },
        ),
        row("resident memory after the run".into(), "", &|c| {
            (mebibytes(c.final_rss), None)
        }),
    ];
    let mut out = String::new();
    out.push_str("| measure | target |");
    for column in columns {
        out.push_str(&format!(" {} |", column.store));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    let mut missed = Vec::new();
    for row in &rows {
        out.push_str(&format!(
            "| {} | {} |",
            row.label,
            if row.target.is_empty() {
                "–"
            } else {
                row.target
            }
        ));
        for ((figure, met), column) in row.cells.iter().zip(columns) {
            out.push_str(&format!(" {figure} |"));
            if *met == Some(false) {
                missed.push(format!(
                    "target missed on {}: {} is {figure} (target {})",
                    column.store, row.label, row.target
                ));
            }
        }
        out.push('\n');
    }
    // Issue 2 also asks the embedded store to beat etcd at creates.
    for embedded in columns.iter().filter(|c| !c.on_etcd) {
        for etcd in columns
            .iter()
            .filter(|c| c.on_etcd && c.command == embedded.command)
        {
            let (fast, slow) = (embedded.creates.per_second(), etcd.creates.per_second());
            if fast <= slow {
                missed.push(format!(
                    "target missed: `{}` creates {}/s on the embedded store, not more than on etcd ({}/s)",
                    embedded.command,
                    thousands(fast.round() as usize),
                    thousands(slow.round() as usize)
                ));
            }
        }
    }
    for line in missed {
        out.push_str(&format!("\n{line}"));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// CPU per operation, as "123 / 45 µs".
fn per_operation(cpu: CpuTimes, operations: usize) -> String {
    let micros = |d: Duration| d.as_secs_f64() * 1e6 / operations.max(1) as f64;
    let (server, client) = (micros(cpu.server), micros(cpu.client));
    if server < 10.0 {
        format!("{server:.1} / {client:.1} µs")
    } else {
        format!("{server:.0} / {client:.0} µs")
    }
}

fn connections(count: usize) -> String {
    format!(
        "{count} HTTP/2 connection{}",
        if count == 1 { "" } else { "s" }
    )
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// Percentiles of `values` in milliseconds, as "1.2 / 3.4 ms".
fn millis_pair(values: &[Duration], percentiles: &[f64]) -> String {
    let figures: Vec<String> = percentiles
        .iter()
        .map(|&p| {
            let ms = percentile(values, p).unwrap_or_default().as_secs_f64() * 1e3;
            if ms < 10.0 {
                format!("{ms:.1}")
            } else {
                format!("{ms:.0}")
            }
        })
        .collect();
    format!("{} ms", figures.join(" / "))
}

/// 20000 → "20,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let check = |values: &[u64], p: f64, expected: Option<u64>| {
            assert_eq!(
                percentile(&ms(values), p),
                expected.map(Duration::from_millis),
                "p{p} of {values:?}"
            );
        };
        let twenty: Vec<u64> = (1..=20).rev().collect();
        check(&twenty, 50.0, Some(10));
        check(&twenty, 99.0, Some(20));
        check(&twenty, 100.0, Some(20));
        check(&twenty, 5.0, Some(1));
        check(&[7], 50.0, Some(7));
        check(&[3, 1, 2], 50.0, Some(2));
        check(&[], 50.0, None);
    }

    #[test]
    fn thousands_separators() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (20_000, "20,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
