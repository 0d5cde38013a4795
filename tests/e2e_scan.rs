//! End-to-end: a hand-computed Squid log through `cloudcensus scan`, checking exact counts in
//! every Parquet table, `run.json` and `rejected_lines.jsonl`.

mod common;
use common::*;

/// 2023-11-14T22:13:20Z
const T0: i64 = 1_700_000_000;

fn log() -> String {
    [
        format!("{T0}.000     10 10.0.0.1 TCP_MISS/200 1000 GET https://www.dropbox.com/x alice DIRECT/162.125.1.1 text/html"),
        format!("{}.000     10 10.0.0.2 TCP_MISS/200 2000 POST https://API.Dropboxapi.com/u bob DIRECT/162.125.1.2 -", T0 + 60),
        format!("{}.000     10 10.0.0.1 TCP_DENIED/403 300 CONNECT files.dropbox.com:443 alice NONE/- -", T0 + 86_400),
        format!("{}.000     10 10.0.0.3 TCP_MISS/200 500 GET http://slack.com/ - DIRECT/203.0.113.4 -", T0 + 100),
        "this line is not a squid record".to_string(),
        format!("{}.000     10 10.0.0.3 TCP_MISS/200 700 GET http://shop.unknown-example.co.uk/a carol DIRECT/198.51.100.8 -", T0 + 200),
        format!("{}.000     10 10.0.0.4 TCP_MISS/200 800 GET http://www.unknown-example.co.uk/b dave DIRECT/198.51.100.8 -", T0 + 300),
        String::new(),
        "# a comment".to_string(),
        format!("{}.500     10 10.0.0.5 TCP_MISS/200 900 CONNECT 3.7.35.10:443 erin DIRECT/3.7.35.10 -", T0 + 400),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn exact_counts_in_every_table() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("access.log");
    std::fs::write(&input, log()).unwrap();
    let out = d.path().join("out");
    let (code, stdout, stderr) = run(&[
        "scan",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "malformed line → exit 3\n{stdout}\n{stderr}");

    let apps = parquet(&out.join("discovered_apps.parquet"));
    assert_eq!(apps.height(), 3, "{apps}");
    let i = row(&apps, "app_id", "dropbox");
    assert_eq!(u64_at(&apps, "transactions", i), 3);
    assert_eq!(u64_at(&apps, "blocked_transactions", i), 1);
    assert_eq!(u64_at(&apps, "bytes_down", i), 3300);
    // Squid's native log has no request size: upload is unknown (null), not 0, and the
    // dashboard says so.
    assert_eq!(apps.column("bytes_up").unwrap().null_count(), apps.height());
    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    assert!(dash["totals"]["uploaded_bytes"].is_null(), "{}", dash["totals"]);
    assert!(dash["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("upload not in this log format"));
    assert!(
        dash["totals"]["downloaded_bytes"].as_u64().unwrap() >= 3300,
        "downloads are known"
    );
    assert_eq!(u64_at(&apps, "users", i), 2);
    assert_eq!(u64_at(&apps, "ip_addresses", i), 2);
    let first = apps
        .column("first_seen")
        .unwrap()
        .datetime()
        .unwrap()
        .phys
        .get(i)
        .unwrap();
    let last = apps
        .column("last_seen")
        .unwrap()
        .datetime()
        .unwrap()
        .phys
        .get(i)
        .unwrap();
    assert_eq!((first, last), (T0 * 1_000_000, (T0 + 86_400) * 1_000_000));
    assert_eq!(
        apps.column("category").unwrap().str().unwrap().get(i),
        Some("Cloud storage")
    );
    let s = row(&apps, "app_id", "slack");
    assert_eq!(u64_at(&apps, "users", s), 0, "`-` is no user");
    // An IP-literal CONNECT host inside Zoom's ranges is attributed by IP.
    let z = row(&apps, "app_id", "zoom");
    assert_eq!(u64_at(&apps, "transactions", z), 1);

    let users = parquet(&out.join("app_users.parquet"));
    assert_eq!(users.height(), 3, "{users}"); // dropbox×alice, dropbox×bob, zoom×erin
    let ips = parquet(&out.join("app_ips.parquet"));
    assert_eq!(ips.height(), 4, "{ips}"); // dropbox×2, slack×1, zoom×1

    let daily = parquet(&out.join("app_daily.parquet"));
    let dropbox_days: Vec<(i32, u64, u64)> = (0..daily.height())
        .filter(|&r| daily.column("app_id").unwrap().str().unwrap().get(r) == Some("dropbox"))
        .map(|r| {
            (
                daily.column("date").unwrap().date().unwrap().phys.get(r).unwrap(),
                u64_at(&daily, "transactions", r),
                u64_at(&daily, "users", r),
            )
        })
        .collect();
    assert_eq!(dropbox_days, vec![(19_675, 2, 2), (19_676, 1, 1)]);

    let un = parquet(&out.join("unmatched_domains.parquet"));
    assert_eq!(un.height(), 1, "{un}");
    let u = row(&un, "domain", "unknown-example.co.uk");
    assert_eq!(
        (
            u64_at(&un, "transactions", u),
            u64_at(&un, "users", u),
            u64_at(&un, "bytes_down", u)
        ),
        (2, 2, 1500)
    );

    let run = run_json(&out);
    assert_eq!(run["totals"]["records"], 7);
    assert_eq!(run["totals"]["malformed_lines"], 1);
    assert_eq!(run["totals"]["header_lines"], 2);
    assert_eq!(run["totals"]["lines"], 10);
    assert_eq!(run["totals"]["attribution"]["by_domain"], 4);
    assert_eq!(run["totals"]["attribution"]["by_ip"], 1);
    assert_eq!(run["totals"]["attribution"]["unmatched_host"], 2);
    assert_eq!(run["inputs"][0]["format"], "squid");
    assert_eq!(run["inputs"][0]["format_detected"], true);
    assert_eq!(run["exit_code"], 3);
    assert_eq!(run["outputs"].as_array().unwrap().last().unwrap(), "run.json");

    let rejected = std::fs::read_to_string(out.join("rejected_lines.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = rejected.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["line"], 5);
    assert_eq!(lines[0]["file"], input.to_str().unwrap());
    assert!(lines[0]["excerpt"].as_str().unwrap().starts_with("this line"));

    let dash: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("dashboard.json")).unwrap()).unwrap();
    assert_eq!(dash["totals"]["apps"], 3);
    assert_eq!(dash["totals"]["users"], 3); // alice, bob, erin
    assert_eq!(dash["totals"]["transactions"], 5);
    assert_eq!(dash["top_apps"][0]["app_id"], "dropbox");
    assert_eq!(dash["top_unmatched_domains"][0]["domain"], "unknown-example.co.uk");
}

#[test]
fn split_compressed_and_directory_inputs_give_the_same_tables() {
    let d = tempfile::tempdir().unwrap();
    let text = log();
    let lines: Vec<&str> = text.lines().collect();
    let dir = d.path().join("logs");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.log"), lines[..4].join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("sub").join("b.log.anything"),
        gzip((lines[4..].join("\n") + "\n").as_bytes()),
    )
    .unwrap();
    let whole = d.path().join("whole.log");
    std::fs::write(&whole, &text).unwrap();
    let (o1, o2) = (d.path().join("o1"), d.path().join("o2"));
    run(&["scan", "-q", "-o", o1.to_str().unwrap(), whole.to_str().unwrap()]);
    let (code, _, err) = run(&["scan", "-q", "-o", o2.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    for t in [
        "discovered_apps",
        "app_users",
        "app_ips",
        "app_daily",
        "unmatched_domains",
    ] {
        // Everything but the run's own id.
        let a = parquet(&o1.join(format!("{t}.parquet"))).drop("run_id").unwrap();
        let b = parquet(&o2.join(format!("{t}.parquet"))).drop("run_id").unwrap();
        assert!(a.equals_missing(&b), "{t} differs:\n{a}\n{b}");
    }
    let run = run_json(&o2);
    assert_eq!(run["inputs"][1]["compression"], "gzip");
    assert_eq!(run["totals"]["records"], 7);
}

#[test]
fn compressed_files_read_side_by_side_give_the_same_aggregates() {
    // With several worker threads, several inputs are opened and decompressed at once, one
    // producer thread each: the result must not depend on it.
    use cloudcensus::{catalog, formats, pipeline::scan};
    use std::io::Write;
    let d = tempfile::tempdir().unwrap();
    let mut all = String::new();
    let mut paths = Vec::new();
    for k in 0..8 {
        let mut text = String::new();
        for j in 0..150 {
            text.push_str(&log().replace("alice", &format!("user{k}-{j}")));
        }
        all.push_str(&text);
        let p = d.path().join(format!("part{k}.log"));
        let bytes = match k % 4 {
            0 => gzip(text.as_bytes()),
            1 => zstd::encode_all(text.as_bytes(), 3).unwrap(),
            2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(text.as_bytes()).unwrap();
                e.finish().unwrap()
            }
            _ => text.into_bytes(),
        };
        std::fs::write(&p, bytes).unwrap();
        paths.push(p.display().to_string());
    }
    let whole = d.path().join("whole.log");
    std::fs::write(&whole, &all).unwrap();
    let cat = catalog::Catalog::load(None).unwrap();
    let m = catalog::Matcher::new(&cat);
    let one = scan::scan(
        &scan::ScanOptions::new(vec![whole.display().to_string()], formats::Registry::new(vec![])),
        &cat,
        &m,
        None,
    )
    .unwrap()
    .0;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let mut opts = scan::ScanOptions::new(paths, formats::Registry::new(vec![]));
    opts.chunk_size = 4096;
    let parts = pool.install(|| scan::scan(&opts, &cat, &m, None).unwrap().0);
    assert_eq!(parts.aggregates, one.aggregates);
    assert_eq!(parts.records(), 8 * 150 * 7);
    assert_eq!(parts.inputs.len(), 8);
    for (k, r) in parts.inputs.iter().enumerate() {
        assert!(r.path.ends_with(&format!("part{k}.log")), "{}", r.path);
        assert_eq!((r.records, r.malformed_lines), (150 * 7, 150), "{}", r.path);
    }
}

#[test]
fn small_chunks_and_many_threads_change_nothing() {
    use cloudcensus::{catalog, formats, pipeline::scan};
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.log");
    let mut text = String::new();
    for k in 0..400 {
        text.push_str(&log().replace("alice", &format!("user{k}")));
    }
    std::fs::write(&p, &text).unwrap();
    let cat = catalog::Catalog::load(None).unwrap();
    let m = catalog::Matcher::new(&cat);
    let mut opts = scan::ScanOptions::new(vec![p.display().to_string()], formats::Registry::new(vec![]));
    let whole = scan::scan(&opts, &cat, &m, None).unwrap().0;
    opts.chunk_size = 1024;
    let chunked = scan::scan(&opts, &cat, &m, None).unwrap().0;
    assert_eq!(whole.aggregates, chunked.aggregates);
    // Workers handing their app×user and app×IP rows to the shared accumulator after almost
    // every chunk, on 4 threads, count the same.
    opts.hand_off_rows = 3;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let handed = pool.install(|| scan::scan(&opts, &cat, &m, None).unwrap().0);
    assert_eq!(whole.aggregates, handed.aggregates);
    // And the shared accumulator spilling its rows to temporary files after almost every
    // hand-off (issue 18): the rows are read back from one merged file, the same.
    opts.spill_rows = 10;
    let spilled = pool.install(|| scan::scan(&opts, &cat, &m, None).unwrap().0);
    assert!(spilled.aggregates.app_users.is_spilled() && spilled.aggregates.app_ips.is_spilled());
    assert!(!whole.aggregates.app_users.is_spilled());
    assert_eq!(whole.aggregates, spilled.aggregates);
    assert!(
        whole.aggregates.app_users.len() > 400,
        "{}",
        whole.aggregates.app_users.len()
    );
    assert_eq!(chunked.records(), 400 * 7);
    assert_eq!(chunked.malformed(), 400);
    assert_eq!(chunked.rejected.len(), 400);
    assert!(chunked.rejected.windows(2).all(|w| w[0].line < w[1].line));
    assert_eq!(chunked.rejected[0].line, 5);
    assert_eq!(chunked.rejected[399].line, 399 * 10 + 5);
}

#[test]
fn merge_is_associative_across_shards() {
    use cloudcensus::{catalog, formats, pipeline::scan};
    let d = tempfile::tempdir().unwrap();
    let text = log();
    let lines: Vec<&str> = text.lines().collect();
    let parts = [&lines[..3], &lines[3..6], &lines[6..]];
    let cat = catalog::Catalog::load(None).unwrap();
    let m = catalog::Matcher::new(&cat);
    let aggs: Vec<_> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let f = d.path().join(format!("{i}.log"));
            std::fs::write(&f, p.join("\n") + "\n").unwrap();
            let opts = scan::ScanOptions::new(vec![f.display().to_string()], formats::Registry::new(vec![]));
            scan::scan(&opts, &cat, &m, None).unwrap().0.aggregates
        })
        .collect();
    let mut left = aggs[0].clone();
    left.merge(aggs[1].clone()).unwrap();
    left.merge(aggs[2].clone()).unwrap();
    let mut bc = aggs[1].clone();
    bc.merge(aggs[2].clone()).unwrap();
    let mut right = aggs[0].clone();
    right.merge(bc).unwrap();
    let mut reversed = aggs[2].clone();
    reversed.merge(aggs[0].clone()).unwrap();
    reversed.merge(aggs[1].clone()).unwrap();
    assert_eq!(left, right);
    assert_eq!(left, reversed);
    let f = d.path().join("all.log");
    std::fs::write(&f, &text).unwrap();
    let all = scan::scan(
        &scan::ScanOptions::new(vec![f.display().to_string()], formats::Registry::new(vec![])),
        &cat,
        &m,
        None,
    )
    .unwrap()
    .0
    .aggregates;
    assert_eq!(left, all);
}

#[test]
fn header_formats_survive_chunking() {
    use cloudcensus::formats::{custom, Format, Registry};
    use cloudcensus::{catalog, pipeline::scan};
    use std::sync::Arc;
    let d = tempfile::tempdir().unwrap();
    // A custom CSV whose header is only on the first line, and a W3C log whose #Fields changes
    // part-way: both split into many 1 KiB chunks.
    let mut csv = String::from("When,Client,Host,Down\n");
    let mut w3c = String::from("#Fields: date time c-ip cs-host sc-bytes\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "2023-11-14T22:13:20Z,10.0.0.{},www.dropbox.com,{}\n",
            i % 200,
            i
        ));
        if i == 1500 {
            w3c.push_str("#Fields: date time cs-host c-ip sc-bytes\n");
        }
        if i < 1500 {
            w3c.push_str(&format!(
                "2023-11-14 22:13:20 10.0.1.{} www.dropbox.com {}\n",
                i % 200,
                i
            ));
        } else {
            w3c.push_str(&format!(
                "2023-11-14 22:13:20 www.dropbox.com 10.0.1.{} {}\n",
                i % 200,
                i
            ));
        }
    }
    std::fs::write(d.path().join("a.csv"), &csv).unwrap();
    std::fs::write(d.path().join("b.log"), &w3c).unwrap();
    let spec: custom::CustomSpec = toml::from_str(
        "name='c'\nkind='csv'\ntimestamp='When'\nsource_ip='Client'\ndest_host='Host'\nbytes_down='Down'",
    )
    .unwrap();
    let reg = Registry::new(vec![Arc::new(custom::Custom::new(spec)) as Arc<dyn Format>]);
    let cat = catalog::Catalog::load(None).unwrap();
    let m = catalog::Matcher::new(&cat);
    let mut opts = scan::ScanOptions::new(vec![d.path().display().to_string()], reg);
    opts.chunk_size = 1024;
    let r = scan::scan(&opts, &cat, &m, None).unwrap().0;
    assert_eq!(r.malformed(), 0, "{:?}", r.rejected.first());
    assert_eq!(r.records(), 6000);
    let dropbox = r.aggregates.apps.get("dropbox").unwrap();
    assert_eq!(dropbox.transactions, 6000);
    assert_eq!(dropbox.bytes_down, 2 * (0..3000u64).sum::<u64>());
    assert_eq!(
        r.inputs.iter().map(|i| i.format.clone().unwrap()).collect::<Vec<_>>(),
        vec!["custom:c", "w3c"]
    );
}

/// Issue 5: for unmatched traffic, the application name the device itself gave it is reported
/// next to the domain (most frequent name; protocol-only names like `HTTPS.BROWSER`-style
/// `ssl` or `unknown` are left out), and a domain the device did not name gets null.
#[test]
fn unmatched_domains_carry_the_vendor_app_name() {
    let fg = |host: &str, app: &str| {
        format!(
            r#"date=2023-11-14 time=22:13:20 devname="FGT" devid="FGT60E" logid="1059028704" type="utm" subtype="app-ctrl" eventtype="signature" level="information" vd="root" srcip=10.0.0.1 srcport=50000 dstip=198.51.100.9 dstport=443 sessionid=1 proto=6 action="pass" hostname="{host}" url="/" app="{app}" user="alice""#
        )
    };
    let lines = [
        fg("files.mystery-drive.example.com", "Mystery.Drive"),
        fg("www.mystery-drive.example.com", "Mystery.Drive"),
        fg("cdn.mystery-drive.example.com", "ssl"),
        fg("other.unknown-zz.example.net", "unknown"),
    ];
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("fortigate.log");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = d.path().join("out");
    let (code, stdout, stderr) = run(&[
        "scan",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let un = parquet(&out.join("unmatched_domains.parquet"));
    let vendor = |domain: &str| {
        let r = row(&un, "domain", domain);
        un.column("vendor_app")
            .unwrap()
            .str()
            .unwrap()
            .get(r)
            .map(str::to_string)
    };
    assert_eq!(
        u64_at(&un, "transactions", row(&un, "domain", "example.com")),
        3,
        "{un}"
    );
    assert_eq!(vendor("example.com").as_deref(), Some("Mystery.Drive"), "{un}");
    assert_eq!(vendor("example.net"), None, "{un}");
}

/// run.json says, per input, how records were attributed: by host, only by destination IP
/// (formats without host names), to unmatched domains, or not at all.
#[test]
fn attribution_per_input() {
    let d = tempfile::tempdir().unwrap();
    let asa = d.path().join("asa.log");
    std::fs::write(
        &asa,
        "<166>Nov 20 2026 08:00:01 asa01 : %ASA-6-302014: Teardown TCP connection 1 for outside:52.112.0.5/443 to inside:10.0.0.5/51000 duration 0:00:10 bytes 4000 TCP FINs\n\
         <166>Nov 20 2026 08:00:02 asa01 : %ASA-6-302014: Teardown TCP connection 2 for outside:13.107.6.171/443 to inside:10.0.0.6/51001 duration 0:00:10 bytes 5000 TCP FINs\n\
         <166>Nov 20 2026 08:00:03 asa01 : %ASA-6-302014: Teardown TCP connection 3 for outside:192.0.2.44/443 to inside:10.0.0.7/51002 duration 0:00:10 bytes 6000 TCP FINs\n",
    )
    .unwrap();
    let squid = d.path().join("access.log");
    std::fs::write(
        &squid,
        "1795132800.000 100 10.0.0.5 TCP_MISS/200 500 GET https://www.dropbox.com/home jdoe HIER_DIRECT/162.125.1.1 text/html\n\
         1795132801.000 100 10.0.0.5 TCP_MISS/200 500 GET https://nothing-known.example.org/ jdoe HIER_DIRECT/192.0.2.9 text/html\n",
    )
    .unwrap();
    let out = d.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--state",
        "none",
        "-o",
        out.to_str().unwrap(),
        asa.to_str().unwrap(),
        squid.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rj = run_json(&out);
    let a = &rj["inputs"][0];
    assert_eq!(a["format"], "cisco-asa");
    assert_eq!(
        (
            a["attribution"]["by_ip"].clone(),
            a["attribution"]["unmatched_no_host"].clone(),
            a["attribution"]["by_domain"].clone()
        ),
        (2.into(), 1.into(), 0.into())
    );
    let s = &rj["inputs"][1];
    assert_eq!(s["format"], "squid");
    assert_eq!(
        (
            s["attribution"]["by_domain"].clone(),
            s["attribution"]["unmatched_host"].clone(),
            s["attribution"]["by_ip"].clone()
        ),
        (1.into(), 1.into(), 0.into())
    );
    for k in ["by_domain", "by_ip", "unmatched_host", "unmatched_no_host"] {
        assert_eq!(
            a["attribution"][k].as_u64().unwrap() + s["attribution"][k].as_u64().unwrap(),
            rj["totals"]["attribution"][k].as_u64().unwrap(),
            "{k}: inputs add up to the totals"
        );
    }
}
