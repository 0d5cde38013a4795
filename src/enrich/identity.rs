//! One person, one name: `CORP\jdoe`, `jdoe@corp.example` and `jdoe` are the same user to an
//! analyst, but devices log whichever form their directory hands them. The `[identity]` config
//! section chooses how user names are normalized, the same way for traffic records and
//! activities:
//!
//! | `users =` | `CORP\jdoe` | `jdoe@corp.example` | `jdoe` |
//! |---|---|---|---|
//! | `"as-logged"` (default) | `CORP\jdoe` | `jdoe@corp.example` | `jdoe` |
//! | `"strip-domain"` | `jdoe` | `jdoe` | `jdoe` |
//! | `"upn"` | `jdoe@corp.example` (from `[identity.domains] CORP = "corp.example"`) | `jdoe@corp.example` | `jdoe@` + `default_domain`, when set |
//!
//! `strip-domain` and `upn` also lower-case the name's ASCII letters (directories compare names
//! without case). In `upn`, a NetBIOS domain that is not in `[identity.domains]` becomes
//! `default_domain` when it is set, else its own lower-cased name; `[identity.domains]` may map
//! a UPN suffix too (`"corp.local" = "corp.example"`).
//!
//! Owns: the user-name forms. Must not touch: parsing (formats log users as they are written),
//! aggregation.

use std::borrow::Cow;
use std::collections::HashMap;

/// How user names are written in the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserForm {
    /// As the log wrote them.
    #[default]
    AsLogged,
    /// The account name only, lower case.
    StripDomain,
    /// `name@domain`, lower case.
    Upn,
}

/// A bad `[identity]` section.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    /// `users` is not one of the three forms.
    #[error("[identity] users = {0:?}: expected \"as-logged\", \"strip-domain\" or \"upn\"")]
    UnknownForm(String),
    /// A domain in the map or the default is not a DNS domain.
    #[error("[identity] {0:?} is not a DNS domain (expected e.g. \"corp.example\")")]
    BadDomain(String),
}

/// The user-name normalization of a run.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    form: UserForm,
    /// Lower-cased NetBIOS domain or UPN suffix → UPN suffix.
    domains: HashMap<String, String>,
    default_domain: Option<String>,
}

/// `CORP\jdoe` → (`CORP`, `jdoe`); `jdoe@corp.example` → (`corp.example`, `jdoe`); `jdoe` →
/// (none, `jdoe`).
pub fn split(user: &str) -> (Option<&str>, &str) {
    if let Some((d, n)) = user.split_once('\\') {
        if !d.is_empty() && !n.is_empty() {
            return (Some(d), n);
        }
    }
    if let Some((n, d)) = user.rsplit_once('@') {
        if !d.is_empty() && !n.is_empty() {
            return (Some(d), n);
        }
    }
    (None, user)
}

fn check_domain(d: &str) -> Result<String, IdentityError> {
    let ok = !d.is_empty()
        && d.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && !d.starts_with('.')
        && !d.ends_with('.');
    if ok {
        Ok(d.to_ascii_lowercase())
    } else {
        Err(IdentityError::BadDomain(d.to_string()))
    }
}

impl Identity {
    /// From the config section's values.
    pub fn new(
        users: Option<&str>,
        domains: &std::collections::BTreeMap<String, String>,
        default_domain: Option<&str>,
    ) -> Result<Identity, IdentityError> {
        let form = match users.unwrap_or("as-logged") {
            "as-logged" => UserForm::AsLogged,
            "strip-domain" => UserForm::StripDomain,
            "upn" => UserForm::Upn,
            other => return Err(IdentityError::UnknownForm(other.to_string())),
        };
        let mut map = HashMap::new();
        for (k, v) in domains {
            map.insert(k.to_ascii_lowercase(), check_domain(v)?);
        }
        Ok(Identity {
            form,
            domains: map,
            default_domain: default_domain.map(check_domain).transpose()?,
        })
    }

    /// Whether names are left as logged (nothing to do).
    pub fn is_as_logged(&self) -> bool {
        self.form == UserForm::AsLogged
    }

    /// The user's name in the configured form.
    pub fn apply<'a>(&self, user: &'a str) -> Cow<'a, str> {
        match self.form {
            UserForm::AsLogged => Cow::Borrowed(user),
            UserForm::StripDomain => lower(split(user).1),
            UserForm::Upn => {
                let (domain, name) = split(user);
                let suffix = match domain {
                    Some(d) => match self.domains.get(&d.to_ascii_lowercase()) {
                        Some(mapped) => Some(Cow::Borrowed(mapped.as_str())),
                        // A NetBIOS name (no dot) that is not mapped: the default domain.
                        None if !d.contains('.') => self
                            .default_domain
                            .as_deref()
                            .map(Cow::Borrowed)
                            .or_else(|| Some(Cow::Owned(d.to_ascii_lowercase()))),
                        None => Some(Cow::Owned(d.to_ascii_lowercase())),
                    },
                    None => self.default_domain.as_deref().map(Cow::Borrowed),
                };
                match suffix {
                    Some(s) => {
                        let upn = format!("{}@{s}", name.to_ascii_lowercase());
                        if upn == user {
                            Cow::Borrowed(user)
                        } else {
                            Cow::Owned(upn)
                        }
                    }
                    None => lower(name),
                }
            }
        }
    }
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_three_forms() {
        let none = BTreeMap::new();
        let mut map = BTreeMap::new();
        map.insert("CORP".to_string(), "corp.example".to_string());
        map.insert("corp.local".to_string(), "corp.example".to_string());
        let logged = Identity::new(None, &none, None).unwrap();
        let strip = Identity::new(Some("strip-domain"), &none, None).unwrap();
        let upn = Identity::new(Some("upn"), &map, Some("corp.example")).unwrap();
        let upn_bare = Identity::new(Some("upn"), &none, None).unwrap();
        for (user, as_logged, stripped, as_upn, bare) in [
            ("CORP\\JDoe", "CORP\\JDoe", "jdoe", "jdoe@corp.example", "jdoe@corp"),
            (
                "jdoe@Corp.Example",
                "jdoe@Corp.Example",
                "jdoe",
                "jdoe@corp.example",
                "jdoe@corp.example",
            ),
            (
                "jdoe@corp.local",
                "jdoe@corp.local",
                "jdoe",
                "jdoe@corp.example",
                "jdoe@corp.local",
            ),
            ("jdoe", "jdoe", "jdoe", "jdoe@corp.example", "jdoe"),
            (
                "OTHER\\asmith",
                "OTHER\\asmith",
                "asmith",
                "asmith@corp.example",
                "asmith@other",
            ),
            (
                "jürgen.groß",
                "jürgen.groß",
                "jürgen.groß",
                "jürgen.groß@corp.example",
                "jürgen.groß",
            ),
        ] {
            assert_eq!(logged.apply(user), as_logged, "{user}");
            assert_eq!(strip.apply(user), stripped, "{user}");
            assert_eq!(upn.apply(user), as_upn, "{user}");
            assert_eq!(upn_bare.apply(user), bare, "{user}");
        }
        assert_eq!(split("CORP\\jdoe"), (Some("CORP"), "jdoe"));
        assert_eq!(split("jdoe@corp.example"), (Some("corp.example"), "jdoe"));
        assert_eq!(split("\\jdoe"), (None, "\\jdoe"));
        assert!(Identity::new(Some("email"), &none, None).is_err());
        assert!(Identity::new(Some("upn"), &none, Some("not a domain")).is_err());
    }
}
