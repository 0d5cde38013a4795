//! Catalog data model and loader.

use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A catalog problem, always with the file (and line when known) it comes from.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("{path}: cannot read catalog file: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or schema error.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A semantic problem (unknown category, duplicate domain...).
    #[error("{path}:{line}: app {app:?}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the app's `id` (0 when unknown).
        line: usize,
        /// The app id.
        app: String,
        /// What is wrong.
        message: String,
    },
    /// Several problems, one per line.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<CatalogError>),
    /// The directory given with `--catalog` has no catalog files.
    #[error("{0}: no catalog files (expected apps/*.toml and/or generated/ip_ranges.toml)")]
    Empty(String),
}

/// One app as written in `catalog/apps/*.toml`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Stable lower-case slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of the catalog categories.
    pub category: String,
    /// Vendor (company).
    #[serde(default)]
    pub vendor: Option<String>,
    /// Home page URL.
    #[serde(default)]
    pub homepage: Option<String>,
    /// ISO 3166-1 alpha-2 country of the vendor's headquarters, when known.
    #[serde(default)]
    pub headquarters: Option<String>,
    /// Domains whose traffic belongs to the app (subdomains included).
    #[serde(default)]
    pub domains: Vec<String>,
    /// CIDR ranges for traffic that reaches the app by IP.
    #[serde(default)]
    pub ip_ranges: Vec<String>,
    /// Free-text note.
    #[serde(default)]
    pub notes: Option<String>,
    /// Known risk-factor values, by factor id (see `catalog/factors.toml`), each with its source.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub factors: std::collections::BTreeMap<String, super::factors::FactorValue>,
    /// A score set by hand (custom and line-of-business apps), 0–10; `notes` says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Whether the app comes from the user's own catalog folder (tagged `custom` in outputs).
    #[serde(skip)]
    pub custom: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppsFile {
    #[serde(default)]
    app: Vec<App>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangesFile {
    #[serde(default)]
    range: Vec<Range>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    app: String,
    #[serde(default)]
    source: Option<String>,
    cidrs: Vec<String>,
}

/// `[[factors]]` tables: risk-factor values for an app, kept apart from the app entries so
/// that a re-import of generated values never touches hand-curated ones.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorsOverlayFile {
    #[serde(default)]
    factors: Vec<FactorsOverlay>,
}

#[derive(Deserialize)]
struct FactorsOverlay {
    app: String,
    #[serde(flatten)]
    values: std::collections::BTreeMap<String, super::factors::FactorValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    categories: Vec<String>,
}

/// The loaded catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Apps, in a stable order; an app's index is its id inside a run.
    pub apps: Vec<App>,
    /// Known categories.
    pub categories: Vec<String>,
    /// Where the catalog came from (`built-in`, plus the user's directory).
    pub sources: Vec<String>,
    /// Risk-factor definitions (`catalog/factors.toml`).
    pub factors: Vec<super::factors::FactorDef>,
}

/// The line of `id = "<id>"` (or of `app = "<id>"` in a ranges file) in `text`.
fn line_of(text: &str, key: &str, id: &str) -> usize {
    let needle = format!("\"{id}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with(key) && l.contains(&needle))
        .map_or(0, |i| i + 1)
}

fn syntax(path: &str, text: &str, e: toml::de::Error) -> CatalogError {
    let line = crate::base::toml_line::toml_error_line(text, &e);
    CatalogError::Syntax {
        path: path.to_string(),
        line,
        message: e.message().to_string(),
    }
}

/// One layer of catalog files (the bundled one, or a user's directory).
struct Layer {
    name: String,
    files: Vec<(String, String)>,
    /// The user's own catalog folder (its apps are tagged `custom`).
    user: bool,
}

/// Whether a catalog file holds generated app entries (`generated/apps/*.toml`), which load
/// first so that hand-written (curated) entries win over them.
fn is_generated_apps(path: &str) -> bool {
    path.replace('\\', "/").contains("generated/apps/")
}

/// Split a set of files into the generated-apps layer (first, if any) and the rest.
fn split_generated(name: &str, files: Vec<(String, String)>, user: bool) -> Vec<Layer> {
    let (generated, rest): (Vec<_>, Vec<_>) = files.into_iter().partition(|(p, _)| is_generated_apps(p));
    let mut out = Vec::new();
    if !generated.is_empty() {
        out.push(Layer {
            name: format!("{name} (generated apps)"),
            files: generated,
            user,
        });
    }
    out.push(Layer {
        name: name.to_string(),
        files: rest,
        user,
    });
    out
}

impl Layer {
    fn bundled() -> Vec<Layer> {
        let files = super::bundled::BUNDLED
            .iter()
            .map(|(p, t)| (format!("catalog/{p}"), t.to_string()))
            .collect();
        split_generated("built-in", files, false)
    }

    fn dir(dir: &Path) -> Result<Vec<Layer>, CatalogError> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|e| CatalogError::Io {
                path: d.display().to_string(),
                source: e,
            })?;
            for entry in rd {
                let entry = entry.map_err(|e| CatalogError::Io {
                    path: d.display().to_string(),
                    source: e,
                })?;
                let p: PathBuf = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "toml") {
                    let text = std::fs::read_to_string(&p).map_err(|e| CatalogError::Io {
                        path: p.display().to_string(),
                        source: e,
                    })?;
                    files.push((p.display().to_string(), text));
                }
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(CatalogError::Empty(dir.display().to_string()));
        }
        Ok(split_generated(&dir.display().to_string(), files, true))
    }
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains("..")
        && d.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'_')
}

impl Catalog {
    /// The bundled catalog, optionally with a user's directory merged over it (an app with the
    /// same id replaces the bundled one; a domain or range claimed by a user app is taken away
    /// from the bundled app that had it).
    pub fn load(user_dir: Option<&Path>) -> Result<Catalog, CatalogError> {
        let mut layers = Layer::bundled();
        if let Some(d) = user_dir {
            layers.extend(Layer::dir(d)?);
        }
        Self::from_layers(layers)
    }

    fn from_layers(layers: Vec<Layer>) -> Result<Catalog, CatalogError> {
        let (cat, mut errors) = Self::from_layers_all(layers);
        match errors.len() {
            0 => Ok(cat),
            1 => Err(errors.remove(0)),
            _ => Err(CatalogError::Many(errors)),
        }
    }

    /// Load as much as possible and return every problem found (for `catalog validate`).
    fn from_layers_all(layers: Vec<Layer>) -> (Catalog, Vec<CatalogError>) {
        let mut errors = Vec::new();
        let factor_defs = match super::factors::bundled_factors() {
            Ok(d) => d,
            Err(message) => {
                errors.push(CatalogError::Syntax {
                    path: "catalog/factors.toml".into(),
                    line: 0,
                    message: message.to_string(),
                });
                Vec::new()
            }
        };
        let mut cat = Catalog::default();
        let mut categories: Vec<String> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        // Categories first, from every layer (a user folder may add categories).
        for layer in &layers {
            for (path, text) in &layer.files {
                if path.ends_with("categories.toml") {
                    match toml::from_str::<CategoriesFile>(text) {
                        Ok(f) => {
                            for c in f.categories {
                                if !categories.contains(&c) {
                                    categories.push(c);
                                }
                            }
                        }
                        Err(e) => errors.push(syntax(path, text, e)),
                    }
                }
            }
        }
        for layer in layers {
            cat.sources.push(layer.name.clone());
            let texts: HashMap<&str, &str> = layer.files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            let mut layer_apps: Vec<(String, App)> = Vec::new();
            let mut layer_ranges: Vec<(String, Range)> = Vec::new();
            let mut layer_overlays: Vec<(u8, String, FactorsOverlay)> = Vec::new();
            for (path, text) in &layer.files {
                // `[[factor]]` files define the risk factors (read by `factors::bundled_factors`).
                if path.ends_with("categories.toml") || text.contains("[[factor]]") {
                    continue;
                }
                if text.contains("[[factors]]") {
                    match toml::from_str::<FactorsOverlayFile>(text) {
                        // Generated values first, hand-curated ones after (they win).
                        Ok(f) => {
                            let generated = Path::new(path)
                                .parent()
                                .and_then(|p| p.file_name())
                                .is_some_and(|n| n == "generated");
                            let rank = if generated { 0 } else { 1 };
                            layer_overlays.extend(f.factors.into_iter().map(|o| (rank, path.clone(), o)));
                        }
                        Err(e) => errors.push(syntax(path, text, e)),
                    }
                    continue;
                }
                if text.contains("[[range]]") {
                    match toml::from_str::<RangesFile>(text) {
                        Ok(f) => layer_ranges.extend(f.range.into_iter().map(|r| (path.clone(), r))),
                        Err(e) => errors.push(syntax(path, text, e)),
                    }
                } else {
                    match toml::from_str::<AppsFile>(text) {
                        Ok(f) => layer_apps.extend(f.app.into_iter().map(|a| (path.clone(), a))),
                        Err(e) => errors.push(syntax(path, text, e)),
                    }
                }
            }
            // Validate the layer on its own; an app with a problem is left out.
            let mut seen_ids: HashSet<String> = HashSet::new();
            let mut seen_domains: HashMap<String, String> = HashMap::new();
            let mut valid: Vec<App> = Vec::new();
            for (path, app) in layer_apps {
                let mut problems: Vec<String> = Vec::new();
                if app.id.is_empty()
                    || !app
                        .id
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                {
                    problems.push("id must be a lower-case slug of a-z, 0-9 and -".into());
                }
                if !seen_ids.insert(app.id.clone()) {
                    problems.push("duplicate app id".into());
                }
                if !categories.contains(&app.category) {
                    problems.push(format!(
                        "unknown category {:?} (see catalog/categories.toml)",
                        app.category
                    ));
                }
                if let Some(hq) = &app.headquarters {
                    if hq.len() != 2 || !hq.bytes().all(|c| c.is_ascii_uppercase()) {
                        problems.push(format!("headquarters {hq:?} is not an ISO 3166 alpha-2 code"));
                    }
                }
                for d in &app.domains {
                    if !valid_domain(d) {
                        problems.push(format!("domain {d:?} is not a lower-case host name"));
                    } else if let Some(other) = seen_domains.get(d) {
                        problems.push(format!("domain {d:?} is also listed by app {other:?}"));
                    }
                }
                for c in &app.ip_ranges {
                    if c.parse::<ipnet::IpNet>().is_err() {
                        problems.push(format!("ip range {c:?} is not a CIDR"));
                    }
                }
                for (id, v) in &app.factors {
                    match factor_defs.iter().find(|f| &f.id == id) {
                        None => problems.push(format!("unknown risk factor {id:?} (see catalog/factors.toml)")),
                        Some(def) => {
                            if let Err(m) = super::factors::check_value(def, &v.value) {
                                problems.push(m.to_string());
                            }
                            if v.source.trim().is_empty() {
                                problems.push(format!("factor {id:?}: say where the value comes from in `source`"));
                            }
                        }
                    }
                }
                if let Some(sc) = app.score {
                    if !(0.0..=10.0).contains(&sc) {
                        problems.push(format!("score {sc} is not between 0 and 10"));
                    }
                }
                if problems.is_empty() {
                    for d in &app.domains {
                        seen_domains.insert(d.clone(), app.id.clone());
                    }
                    valid.push(app);
                } else {
                    // Line numbers only for the error path: finding them costs a scan of the file.
                    let line = line_of(texts.get(path.as_str()).copied().unwrap_or(""), "id", &app.id);
                    errors.extend(problems.into_iter().map(|message| CatalogError::Invalid {
                        path: path.clone(),
                        line,
                        app: app.id.clone(),
                        message,
                    }));
                }
            }
            // Merge apps over what earlier layers gave.
            let user_layer = layer.user;
            for mut app in valid {
                app.custom = user_layer;
                if let Some(&i) = by_id.get(&app.id) {
                    cat.apps[i] = app;
                } else {
                    by_id.insert(app.id.clone(), cat.apps.len());
                    cat.apps.push(app);
                }
            }
            // A domain claimed in this layer leaves the apps of earlier layers.
            let claimed: HashMap<&str, &str> = seen_domains.iter().map(|(d, a)| (d.as_str(), a.as_str())).collect();
            for app in &mut cat.apps {
                app.domains
                    .retain(|d| claimed.get(d.as_str()).is_none_or(|owner| *owner == app.id));
            }
            for (path, r) in layer_ranges {
                let invalid = |message: String| CatalogError::Invalid {
                    path: path.clone(),
                    line: line_of(texts.get(path.as_str()).copied().unwrap_or(""), "app", &r.app),
                    app: r.app.clone(),
                    message,
                };
                let Some(&i) = by_id.get(&r.app) else {
                    errors.push(invalid(format!(
                        "ip ranges ({}) for an app that is not in the catalog",
                        r.source.clone().unwrap_or_default()
                    )));
                    continue;
                };
                let bad: Vec<&String> = r.cidrs.iter().filter(|c| c.parse::<ipnet::IpNet>().is_err()).collect();
                if bad.is_empty() {
                    cat.apps[i].ip_ranges.extend(r.cidrs);
                } else {
                    errors.extend(
                        bad.into_iter()
                            .map(|c| invalid(format!("ip range {c:?} is not a CIDR"))),
                    );
                }
            }
            layer_overlays.sort_by_key(|(rank, _, _)| *rank);
            for (_, path, o) in layer_overlays {
                let invalid = |message: String| CatalogError::Invalid {
                    path: path.clone(),
                    line: line_of(texts.get(path.as_str()).copied().unwrap_or(""), "app", &o.app),
                    app: o.app.clone(),
                    message,
                };
                let Some(&i) = by_id.get(&o.app) else {
                    errors.push(invalid(
                        "risk-factor values for an app that is not in the catalog".into(),
                    ));
                    continue;
                };
                for (id, v) in o.values {
                    match factor_defs.iter().find(|f| f.id == id) {
                        None => errors.push(invalid(format!(
                            "unknown risk factor {id:?} (see catalog/factors.toml)"
                        ))),
                        Some(def) => match super::factors::check_value(def, &v.value) {
                            Err(m) => errors.push(invalid(m.to_string())),
                            Ok(()) if v.source.trim().is_empty() => errors.push(invalid(format!(
                                "factor {id:?}: say where the value comes from in `source`"
                            ))),
                            Ok(()) => {
                                cat.apps[i].factors.insert(id, v);
                            }
                        },
                    }
                }
            }
        }
        cat.categories = categories;
        cat.factors = factor_defs;
        (cat, errors)
    }

    /// Check a catalog folder on its own, or the bundled catalog: every problem, with file and line.
    pub fn validate(dir: Option<&Path>) -> Result<Catalog, Vec<CatalogError>> {
        let mut layers = match dir {
            Some(d) => Layer::dir(d).map_err(|e| vec![e])?,
            None => Layer::bundled(),
        };
        // A user folder may rely on the bundled categories.
        if dir.is_some()
            && !layers
                .iter()
                .any(|l| l.files.iter().any(|(p, _)| p.ends_with("categories.toml")))
        {
            let files = Layer::bundled()
                .into_iter()
                .flat_map(|l| l.files)
                .filter(|(p, _)| p.ends_with("categories.toml"))
                .collect();
            layers.insert(
                0,
                Layer {
                    name: "built-in categories".into(),
                    files,
                    user: false,
                },
            );
        }
        let (cat, errors) = Self::from_layers_all(layers);
        if errors.is_empty() {
            Ok(cat)
        } else {
            Err(errors)
        }
    }

    /// Number of distinct domains.
    pub fn domain_count(&self) -> usize {
        self.apps.iter().map(|a| a.domains.len()).sum()
    }

    /// Number of CIDR ranges.
    pub fn range_count(&self) -> usize {
        self.apps.iter().map(|a| a.ip_ranges.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn bundled_catalog_is_valid() {
        let c = Catalog::load(None).unwrap();
        assert!(c.apps.len() >= 300, "bundled catalog has {} apps", c.apps.len());
        assert!(c.categories.iter().any(|x| x == "Generative AI"));
    }

    #[test]
    fn user_layer_overrides_and_extends() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "apps/mine.toml", "[[app]]\nid = \"intranet-crm\"\nname = \"Intranet CRM\"\ncategory = \"CRM\"\ndomains = [\"crm.corp.example\", \"dropbox.com\"]\n");
        let c = Catalog::load(Some(d.path())).unwrap();
        let mine = c.apps.iter().find(|a| a.id == "intranet-crm").unwrap();
        assert_eq!(mine.domains.len(), 2);
        // dropbox.com moved to the user's app.
        assert!(
            c.apps
                .iter()
                .filter(|a| a.domains.iter().any(|x| x == "dropbox.com"))
                .count()
                == 1
        );
    }

    #[test]
    fn factor_values_curated_over_generated_with_checks() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "generated/factors.toml", "[[factors]]\napp = \"slack\"\nmfa = { value = false, source = \"import\", as_of = \"2026-08\" }\nsupports_saml = { value = true, source = \"import\" }\n");
        write(d.path(), "curated/factors.toml", "[[factors]]\napp = \"slack\"\nmfa = { value = true, source = \"vendor trust page\", as_of = \"2026-11\" }\n");
        let c = Catalog::load(Some(d.path())).unwrap();
        let slack = c.apps.iter().find(|a| a.id == "slack").unwrap();
        assert_eq!(slack.factors["mfa"].value, toml::Value::Boolean(true));
        assert_eq!(slack.factors["mfa"].source, "vendor trust page");
        assert_eq!(slack.factors["supports_saml"].value, toml::Value::Boolean(true));
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "curated/factors.toml", "[[factors]]\napp = \"slack\"\nmfa = { value = \"yes\", source = \"x\" }\nbogus = { value = true, source = \"x\" }\n\n[[factors]]\napp = \"nope\"\nmfa = { value = true, source = \"x\" }\n");
        let e = Catalog::load(Some(d.path())).unwrap_err().to_string();
        assert!(e.contains("factor \"mfa\": value"), "{e}");
        assert!(e.contains("unknown risk factor \"bogus\""), "{e}");
        assert!(e.contains("factors.toml:7: app \"nope\""), "{e}");
    }

    #[test]
    fn curated_apps_win_over_generated_ones() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "generated/apps/crm.toml", "[[app]]\nid = \"acme\"\nname = \"Acme (imported)\"\ncategory = \"CRM\"\ndomains = [\"acme.example\", \"acme-cdn.example\"]\n\n[[app]]\nid = \"other\"\nname = \"Other\"\ncategory = \"CRM\"\ndomains = [\"shared.example\"]\n");
        write(d.path(), "apps/crm.toml", "[[app]]\nid = \"acme\"\nname = \"Acme\"\ncategory = \"CRM\"\ndomains = [\"acme.example\"]\n\n[[app]]\nid = \"mine\"\nname = \"Mine\"\ncategory = \"CRM\"\ndomains = [\"shared.example\"]\n");
        let c = Catalog::validate(Some(d.path())).unwrap();
        let acme = c.apps.iter().find(|a| a.id == "acme").unwrap();
        assert_eq!(acme.name, "Acme", "curated entry replaces the generated one");
        let other = c.apps.iter().find(|a| a.id == "other").unwrap();
        assert!(
            other.domains.is_empty(),
            "a domain claimed by a curated app leaves the generated one"
        );
        assert_eq!(c.sources.len(), 3, "{:?}", c.sources);
    }

    #[test]
    fn errors_name_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "apps/bad.toml",
            "[[app]]\nid = \"x\"\nname = \"X\"\ncategory = \"CRM\"\ncolour = \"red\"\n",
        );
        let e = Catalog::load(Some(d.path())).unwrap_err().to_string();
        assert!(e.contains("bad.toml:5"), "{e}");
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "apps/bad.toml",
            "[[app]]\nid = \"x\"\nname = \"X\"\ncategory = \"Nope\"\n",
        );
        let e = Catalog::load(Some(d.path())).unwrap_err().to_string();
        assert!(e.contains("unknown category"), "{e}");
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "apps/bad.toml", "[[app]]\nid = \"x\"\nname = \"X\"\ncategory = \"CRM\"\ndomains=[\"a.com\"]\n[[app]]\nid = \"y\"\nname = \"Y\"\ncategory = \"CRM\"\ndomains=[\"a.com\"]\n");
        let e = Catalog::load(Some(d.path())).unwrap_err().to_string();
        assert!(e.contains("also listed"), "{e}");
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(Catalog::load(Some(d.path())), Err(CatalogError::Empty(_))));
    }
}
