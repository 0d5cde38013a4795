//! Tests of the block-script selection: sanctioned and protected names, merging, limits.

use super::*;

fn tags(v: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (app, t) in v {
        m.entry(app.to_string()).or_default().push(t.to_string());
    }
    m
}

fn catalog() -> Catalog {
    Catalog::load(None).unwrap()
}

#[test]
fn covers_whole_labels_only() {
    assert!(covers("example.com", "example.com"));
    assert!(covers("example.com", "a.example.com"));
    assert!(!covers("example.com", "badexample.com"));
    assert!(!covers("a.example.com", "example.com"));
}

#[test]
fn sanctioned_and_protected_domains_are_never_selected() {
    let c = catalog();
    let t = tags(&[
        ("chatgpt", "unsanctioned"),
        ("openai-api", "sanctioned"),
        ("microsoft-365", "unsanctioned"),
        ("okta", "unsanctioned"),
        ("dropbox", "unsanctioned"),
        ("box", "unsanctioned"),
        ("box", "sanctioned"),
    ]);
    let s = select(&c, &t, "unsanctioned");
    assert!(s.domains.contains_key("dropbox.com"));
    // openai.com would block the sanctioned api.openai.com.
    assert!(!s.domains.contains_key("openai.com"));
    let why = |d: &str| {
        s.left_out
            .iter()
            .find(|l| l.domain == d)
            .map(|l| l.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        why("openai.com").contains("api.openai.com of the sanctioned app openai-api"),
        "{}",
        why("openai.com")
    );
    // Microsoft 365 carries OCSP domains; Okta is a sign-in service.
    assert!(why("msocsp.com").contains("do-not-block"));
    assert!(why("omniroot.com").contains("do-not-block"));
    assert!(why("okta.com").contains("do-not-block"));
    assert!(s.domains.contains_key("office.com"));
    // An app that is sanctioned as well is never blocked.
    assert!(!s.domains.contains_key("box.com"));
    assert!(why("box.com").contains("sanctioned too"));
    // Every selected domain is clear of every sanctioned and protected name.
    let p = protected();
    let sanctioned: Vec<&String> = ["openai-api", "box"]
        .iter()
        .flat_map(|id| &c.apps.iter().find(|a| a.id == *id).unwrap().domains)
        .collect();
    assert!(!sanctioned.is_empty());
    for d in s.domains.keys() {
        assert!(valid_name(d));
        for x in &sanctioned {
            assert!(!covers(d, x), "{d} would block the sanctioned {x}");
        }
        for (x, sub) in &p {
            assert!(!(covers(d, x) || *sub && covers(x, d)), "{d} vs {x}");
        }
    }
}

#[test]
fn children_are_merged_into_parents_for_wildcard_appliances() {
    let c = catalog();
    let t = tags(&[("qq", "unsanctioned"), ("wechat", "unsanctioned")]);
    let s = select(&c, &t, "unsanctioned");
    assert!(s.domains.contains_key("weixin.qq.com") && s.domains.contains_key("qq.com"));
    let (kept, merged) = s.merged();
    assert!(kept.contains(&"qq.com") && !kept.contains(&"weixin.qq.com"));
    assert!(merged.contains(&("weixin.qq.com", "qq.com")));
    let squid = APPLIANCES.iter().find(|a| a.name == "squid").unwrap();
    let (text, _) = render(squid, &s, "2026-12-02").unwrap();
    assert!(text.contains("\n.qq.com\n") && !text.contains(".weixin.qq.com"));
    // An exact-host appliance keeps both.
    let hosts = APPLIANCES.iter().find(|a| a.name == "hosts").unwrap();
    let (text, _) = render(hosts, &s, "2026-12-02").unwrap();
    assert!(text.contains("0.0.0.0 weixin.qq.com\n") && text.contains("0.0.0.0 qq.com\n"));
}

#[test]
fn limits_are_enforced() {
    let mut s = Selection {
        tag: "unsanctioned".into(),
        apps: vec!["x".into()],
        ..Selection::default()
    };
    for i in 0..25_001 {
        s.domains.insert(format!("d{i}.example"), "x".into());
    }
    let z = APPLIANCES.iter().find(|a| a.name == "zscaler").unwrap();
    let e = render(z, &s, "2026-12-02").unwrap_err();
    assert!(e.to_string().contains("25001 entries, more than the 25000"), "{e}");
    // A name too long for an appliance is left out with the reason.
    let mut s = Selection::default();
    let long = format!(
        "{}.{}.{}.{}.com",
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(60),
        "d".repeat(52)
    );
    assert!(valid_name(&long) && long.len() > 235);
    s.domains.insert(long.clone(), "x".into());
    let rpz = APPLIANCES.iter().find(|a| a.name == "rpz").unwrap();
    let (text, out) = render(rpz, &s, "2026-12-02").unwrap();
    assert!(!text.contains(&long));
    assert_eq!(out[0].domain, long);
    assert!(
        valid_name("a-b.example.com")
            && !valid_name("-a.example.com")
            && !valid_name("bücher.de")
            && !valid_name("com")
    );
}
