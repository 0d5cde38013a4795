//! The worker side of a scan: parse a chunk line by line (routing a line its input's format
//! cannot read to a format that can), count every line, keep the first rejected lines, and fold
//! the counters into the per-input reports at the end.

use super::Work;
use crate::discovery::result::{FormatCounts, InputReport, InputStatus, RejectedLine, EXCERPT_BYTES};
use crate::discovery::Accumulator;
use crate::formats::{fields, Activity, Line, ParseCtx, Record, Registry};
use crate::ingest::{chunker, Input};
use std::collections::{BTreeMap, BinaryHeap};

#[derive(Debug, Clone, Default)]
pub(super) struct Counters {
    pub(super) lines: u64,
    pub(super) records: u64,
    pub(super) activity_lines: u64,
    pub(super) activities: u64,
    pub(super) attribution: crate::discovery::AttributionCounts,
    pub(super) malformed: u64,
    pub(super) skipped: u64,
    pub(super) skipped_reasons: BTreeMap<std::borrow::Cow<'static, str>, u64>,
    /// Per format (registry index; `usize::MAX`: no format recognised the line).
    pub(super) formats: Vec<(usize, FormatCounts)>,
    pub(super) header: u64,
    invalid_utf8: u64,
    pub(super) excluded_records: u64,
    pub(super) excluded_activities: u64,
}

/// Distinct skip reasons kept per input; further ones are counted under one catch-all reason
/// (a parser that puts a variable in its reason must not grow the map without bound).
const MAX_SKIP_REASONS: usize = 256;

impl Counters {
    pub(super) fn merge(&mut self, o: &Counters) {
        self.lines += o.lines;
        self.records += o.records;
        self.activity_lines += o.activity_lines;
        self.activities += o.activities;
        self.attribution.merge(&o.attribution);
        self.malformed += o.malformed;
        self.skipped += o.skipped;
        self.header += o.header;
        self.invalid_utf8 += o.invalid_utf8;
        self.excluded_records += o.excluded_records;
        self.excluded_activities += o.excluded_activities;
        for (k, v) in &o.skipped_reasons {
            self.skip(k.clone(), *v);
        }
        for (f, fc) in &o.formats {
            self.format(*f).merge(fc);
        }
    }

    pub(super) fn skip(&mut self, why: std::borrow::Cow<'static, str>, n: u64) {
        if let Some(v) = self.skipped_reasons.get_mut(&why) {
            *v += n;
        } else if self.skipped_reasons.len() < MAX_SKIP_REASONS {
            self.skipped_reasons.insert(why, n);
        } else {
            *self.skipped_reasons.entry("other event types".into()).or_default() += n;
        }
    }

    pub(super) fn format(&mut self, f: usize) -> &mut FormatCounts {
        match self.formats.iter().position(|(g, _)| *g == f) {
            Some(p) => &mut self.formats[p].1,
            None => {
                self.formats.push((f, FormatCounts::default()));
                &mut self.formats.last_mut().expect("just pushed").1
            }
        }
    }
}

/// A rejected line keyed for "keep the first N by position".
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Rej {
    pub(super) input: usize,
    pub(super) line: u64,
    pub(super) reason: String,
    pub(super) excerpt: String,
}

pub(super) struct Rejects {
    pub(super) cap: usize,
    pub(super) heap: BinaryHeap<Rej>,
    pub(super) total: u64,
}

impl Rejects {
    pub(super) fn new(cap: usize) -> Self {
        Rejects {
            cap,
            heap: BinaryHeap::new(),
            total: 0,
        }
    }
    pub(super) fn push(&mut self, input: usize, line: u64, reason: &str, raw: &[u8]) {
        self.total += 1;
        if self.cap == 0 {
            return;
        }
        if self.heap.len() >= self.cap {
            let top = self.heap.peek().expect("non-empty");
            if (input, line) >= (top.input, top.line) {
                return;
            }
        }
        let cut = &raw[..raw.len().min(EXCERPT_BYTES)];
        self.heap.push(Rej {
            input,
            line,
            reason: reason.to_string(),
            excerpt: String::from_utf8_lossy(cut).into_owned(),
        });
        if self.heap.len() > self.cap {
            self.heap.pop();
        }
    }
    pub(super) fn merge(&mut self, o: Rejects) {
        self.total += o.total;
        for r in o.heap {
            self.heap.push(r);
            if self.heap.len() > self.cap {
                self.heap.pop();
            }
        }
    }
}

/// One worker's state.
pub(super) struct Worker<'a> {
    pub(super) acc: Accumulator<'a>,
    pub(super) activities: crate::pipeline::spill::RunBuilder,
    pub(super) counters: Vec<Counters>,
    pub(super) rejects: Rejects,
}

pub(super) fn counters_for(v: &mut Vec<Counters>, i: usize) -> &mut Counters {
    if v.len() <= i {
        v.resize(i + 1, Counters::default());
    }
    &mut v[i]
}

/// What a line gave, for the caller of [`parse_chunk`].
pub(super) enum Item<'r, 'd> {
    Record(&'r mut Record<'d>),
    Activities(Vec<Activity>),
    /// A well-formed line that carries no traffic, and why.
    Skipped(&'r str),
}

/// Parse every line of a chunk, calling `on_item` for each record or line of activities with
/// the registry index of the format that read it.
pub(super) fn parse_chunk<'d>(
    work: &'d Work,
    registry: &Registry,
    ctx: &ParseCtx,
    max_line: usize,
    c: &mut Counters,
    rejects: &mut Rejects,
    mut on_item: impl FnMut(u64, usize, Item<'_, 'd>),
) {
    let mut router = registry.router(work.format, ctx);
    if let Some(h) = &work.chunk.header {
        for line in h.split(|&c| c == b'\n') {
            router.header(line);
        }
    }
    let input = work.chunk.input;
    // Lines read by the input's own format are counted for it at the end (total minus the
    // others), so the common case costs nothing here.
    let primary = work.format;
    for (n, line) in chunker::lines(&work.chunk) {
        c.lines += 1;
        if line.len() > max_line {
            c.malformed += 1;
            rejects.push(
                input,
                n,
                &format!("line is {} bytes, longer than max_line_bytes ({max_line})", line.len()),
                line,
            );
            continue;
        }
        if !fields::is_utf8(line) {
            c.invalid_utf8 += 1;
        }
        let (by, result) = router.parse(line);
        let other = match by {
            Some(f) if Some(f) == primary => None,
            by => Some(by.unwrap_or(usize::MAX)),
        };
        match result {
            Ok(Line::Record(mut r)) => {
                c.records += 1;
                if let Some(f) = other {
                    c.format(f).records += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Record(&mut r));
            }
            Ok(Line::Activities(a)) => {
                c.activity_lines += 1;
                c.activities += a.len() as u64;
                if let Some(f) = other {
                    c.format(f).activity_lines += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Activities(a));
            }
            Ok(Line::Meta) => c.header += 1,
            Ok(Line::Ignored(why)) => {
                c.skipped += 1;
                if let Some(f) = other {
                    c.format(f).skipped += 1;
                }
                on_item(n, by.unwrap_or(usize::MAX), Item::Skipped(&why));
                c.skip(why, 1);
            }
            Err(e) => {
                c.malformed += 1;
                if let Some(f) = other {
                    c.format(f).malformed += 1;
                }
                rejects.push(input, n, &e.reason, line);
            }
        }
    }
}

/// What is done to every record and activity before it is counted, in this order: the user
/// name in its configured form (`[identity]`), the exclusions (`[exclude]`), then tokens and
/// masks (`[privacy]`). One per worker thread (its token memo is the thread's own).
pub(super) struct People<'a> {
    opts: &'a super::ScanOptions,
    tokens: crate::enrich::privacy::Tokens<'a>,
    /// For `parse`, which prints what it reads: also replace names in URLs (a scan writes no
    /// URL) and mask activities' addresses at once (a scan masks them after enrichment).
    parse: bool,
    excluded_records: u64,
    excluded_activities: u64,
}

impl<'a> People<'a> {
    pub(super) fn new(opts: &'a super::ScanOptions, parse: bool) -> Self {
        People {
            opts,
            parse,
            tokens: opts.privacy.tokens().with_identity(&opts.identity),
            excluded_records: 0,
            excluded_activities: 0,
        }
    }

    /// Prepare a record (its source address is masked by [`People::mask`], after traffic
    /// policies took it); false when it is excluded (and then counted as such).
    pub(super) fn record(&mut self, r: &mut Record<'_>) -> bool {
        let logged = if self.parse && self.tokens.on() {
            r.user.as_deref().map(str::to_string)
        } else {
            None
        };
        let identity = &self.opts.identity;
        if !identity.is_as_logged() {
            if let Some(std::borrow::Cow::Owned(n)) = r.user.as_deref().map(|u| identity.apply(u)) {
                r.user = Some(std::borrow::Cow::Owned(n));
            }
        }
        if self.opts.exclude.record(r) {
            self.excluded_records += 1;
            return false;
        }
        if self.parse && self.tokens.on() {
            let own = r.user.as_deref().map(str::to_string);
            if let Some(u) = r.url.take() {
                r.url = Some(std::borrow::Cow::Owned(
                    self.tokens.scrub(&u, &[logged.as_deref(), own.as_deref()]).into_owned(),
                ));
            }
        }
        self.tokens.record(r);
        true
    }

    /// Prepare an activity; false when it is excluded (and then counted as such).
    pub(super) fn activity(&mut self, a: &mut Activity) -> bool {
        let logged = if self.tokens.on() { a.user.clone() } else { None };
        let identity = &self.opts.identity;
        if !identity.is_as_logged() {
            if let Some(std::borrow::Cow::Owned(u)) = a.user.as_deref().map(|u| identity.apply(u)) {
                a.user = Some(u);
            }
        }
        if self.opts.exclude.activity(a) {
            self.excluded_activities += 1;
            return false;
        }
        self.tokens.activity(a, logged.as_deref());
        if self.parse {
            self.opts.privacy.mask_activity(a);
        }
        true
    }

    /// Mask a record's source address (`[privacy] source_ips = "mask"`).
    pub(super) fn mask(&self, r: &mut Record<'_>) {
        self.opts.privacy.mask_record(r);
    }

    /// Move the exclusion counts into an input's counters.
    pub(super) fn count_into(&mut self, c: &mut Counters) {
        c.excluded_records += std::mem::take(&mut self.excluded_records);
        c.excluded_activities += std::mem::take(&mut self.excluded_activities);
    }
}

pub(super) fn finish_reports(
    opts: &super::ScanOptions,
    inputs: &[Input],
    reports: Vec<InputReport>,
    counters: Vec<Counters>,
    rejects: Rejects,
    overlong: Vec<(usize, u64, String)>,
) -> (Vec<InputReport>, Vec<RejectedLine>, u64) {
    let (registry, cap) = (&opts.registry, opts.rejected_cap);
    let mut tokens = opts.privacy.tokens();
    let mut reports = reports;
    let mut rejects = rejects;
    for (i, line, reason) in overlong {
        rejects.push(i, line, &reason, b"");
        if let Some(c) = reports.get_mut(i) {
            c.malformed_lines += 1;
            c.lines += 1;
        }
    }
    for (i, c) in counters.iter().enumerate() {
        if let Some(r) = reports.get_mut(i) {
            r.lines += c.lines;
            r.records += c.records;
            r.activity_lines += c.activity_lines;
            r.activities += c.activities;
            r.attribution.merge(&c.attribution);
            r.malformed_lines += c.malformed;
            r.skipped_lines += c.skipped;
            r.header_lines += c.header;
            r.invalid_utf8_lines += c.invalid_utf8;
            r.excluded_records += c.excluded_records;
            r.excluded_activities += c.excluded_activities;
            for (k, v) in &c.skipped_reasons {
                *r.skipped_reasons.entry(k.to_string()).or_default() += v;
            }
            format_counts(registry, r, c);
        }
    }
    // An input whose first lines matched no format, and of which no line at all could be
    // read, is unrecognised: one input error, not a malformed line per line.
    let mut dropped = vec![false; reports.len()];
    for (i, r) in reports.iter_mut().enumerate() {
        let Some(first) = r.unsniffed.take() else { continue };
        if r.records + r.activity_lines + r.skipped_lines > 0 || r.status != InputStatus::Ok {
            continue;
        }
        rejects.total = rejects.total.saturating_sub(r.malformed_lines);
        r.malformed_lines = 0;
        r.formats.clear();
        r.status = InputStatus::Failed;
        let first = opts.privacy.quote_line(&first);
        r.error = Some(format!(
            "{}: cannot recognise the log format (first line: {first}); name it with --format, one of: {}",
            r.path,
            registry.ids()
        ));
        dropped[i] = true;
    }
    if dropped.iter().any(|&d| d) {
        let kept: Vec<Rej> = rejects.heap.drain().filter(|r| !dropped[r.input]).collect();
        rejects.heap.extend(kept);
    }
    let total = rejects.total;
    let mut rej: Vec<Rej> = rejects.heap.into_vec();
    rej.sort();
    rej.truncate(cap);
    let rejected = rej
        .into_iter()
        .map(|r| RejectedLine {
            file: inputs[r.input].display.clone(),
            line: r.line,
            reason: opts.privacy.scrub_reason(&r.reason).into_owned(),
            excerpt: tokens.seal_excerpt(&r.excerpt),
        })
        .collect();
    (reports, rejected, total)
}

/// Fill `r.formats` from one input's counters: the formats other than the input's own are
/// counted line by line, the input's own format gets the rest.
fn format_counts(registry: &Registry, r: &mut InputReport, c: &Counters) {
    let id = |f: usize| {
        if f == usize::MAX {
            "unrecognised".to_string()
        } else {
            registry.at(f).info().id.clone()
        }
    };
    let mut others = FormatCounts::default();
    for (f, fc) in &c.formats {
        others.merge(fc);
        r.formats.entry(id(*f)).or_default().merge(fc);
    }
    if let Some(own) = r.format.clone() {
        let e = r.formats.entry(own).or_default();
        // The other formats' lines are a part of the totals.
        debug_assert!(others.records <= c.records && others.malformed <= c.malformed);
        e.records += c.records.saturating_sub(others.records);
        e.activity_lines += c.activity_lines.saturating_sub(others.activity_lines);
        e.skipped += c.skipped.saturating_sub(others.skipped);
        e.malformed += c.malformed.saturating_sub(others.malformed);
    } else if r.unsniffed.is_some() {
        // Every line was routed: the input's format is the one that read the most.
        r.format = r
            .formats
            .iter()
            .filter(|(k, v)| k.as_str() != "unrecognised" && v.records + v.activity_lines + v.skipped > 0)
            .max_by_key(|(k, v)| (v.records + v.activity_lines + v.skipped, std::cmp::Reverse(k.as_str())))
            .map(|(k, _)| k.clone());
    }
    r.formats.retain(|_, v| *v != FormatCounts::default());
}
