//! `manifest.json`: the app's identity and requirements, with every rule of the package format.

use crate::ids::AppId;
use crate::path::PackagePath;
use crate::problem::Problem;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;

/// A validated `manifest.json`. Building one is parsing: a `Manifest` always obeys every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value")]
pub struct Manifest {
    /// The app id.
    pub id: AppId,
    /// The display name: 1–50 characters, no control characters, not blank.
    pub name: String,
    /// This release's semantic version.
    pub version: semver::Version,
    /// The lowest Mosis platform version the app runs on.
    pub min_os_version: semver::Version,
    /// The file the platform starts.
    pub entry: PackagePath,
    /// The permissions the app asks for.
    pub permissions: BTreeSet<Permission>,
    /// A square PNG, 256–1024 px.
    pub icon: PackagePath,
    /// Store listing text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What changed in this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changelog: Option<String>,
}

/// A permission an app may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Network access.
    Network,
    /// Shared storage.
    Storage,
    /// The camera.
    Camera,
    /// The microphone.
    Microphone,
    /// The device's location.
    Location,
    /// Posting notifications.
    Notifications,
    /// Bluetooth.
    Bluetooth,
    /// The user's contacts.
    Contacts,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 8] = [
        Permission::Network,
        Permission::Storage,
        Permission::Camera,
        Permission::Microphone,
        Permission::Location,
        Permission::Notifications,
        Permission::Bluetooth,
        Permission::Contacts,
    ];

    /// The name used in `manifest.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Network => "network",
            Permission::Storage => "storage",
            Permission::Camera => "camera",
            Permission::Microphone => "microphone",
            Permission::Location => "location",
            Permission::Notifications => "notifications",
            Permission::Bluetooth => "bluetooth",
            Permission::Contacts => "contacts",
        }
    }

    /// Whether users must be told before an app gains it (a reviewer looks at every
    /// update that adds one): camera, microphone, location, contacts, bluetooth.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Permission::Camera
                | Permission::Microphone
                | Permission::Location
                | Permission::Contacts
                | Permission::Bluetooth
        )
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const FIELDS: [&str; 9] = [
    "id",
    "name",
    "version",
    "min_os_version",
    "entry",
    "permissions",
    "icon",
    "description",
    "changelog",
];

impl Manifest {
    /// Longest `name`, in characters.
    pub const MAX_NAME_CHARS: usize = 50;
    /// Longest `description`, in characters.
    pub const MAX_DESCRIPTION_CHARS: usize = 4000;
    /// Longest `changelog`, in characters.
    pub const MAX_CHANGELOG_CHARS: usize = 4000;
    /// Longest version string, in bytes.
    pub const MAX_VERSION_LEN: usize = 64;

    /// Parses and validates `manifest.json`, reporting every broken rule at once (unknown
    /// fields, missing fields, wrong types and rule violations alike), each naming its field.
    pub fn parse(bytes: &[u8]) -> Result<Self, Vec<Problem>> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            vec![Problem::at(
                crate::ProblemCode::InvalidManifest,
                crate::MANIFEST_PATH,
                format!("not valid JSON: {e}"),
            )]
        })?;
        Self::from_value(value)
    }

    /// Validates an already-parsed JSON value (see [`Manifest::parse`]).
    pub fn from_value(value: Value) -> Result<Self, Vec<Problem>> {
        let Value::Object(map) = value else {
            return Err(vec![Problem::at(
                crate::ProblemCode::InvalidManifest,
                crate::MANIFEST_PATH,
                "must be a JSON object",
            )]);
        };
        let mut fields = Fields {
            map: &map,
            problems: Vec::new(),
        };
        for key in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            fields.problems.push(Problem::field(
                key.as_str(),
                format!("unknown field (known fields: {})", FIELDS.join(", ")),
            ));
        }
        let id = fields.required("id", |s| AppId::parse(s).map_err(|e| e.to_string()));
        let name = fields.required("name", |s| check_name(s).map(|()| s.to_owned()));
        let version = fields.required("version", parse_version);
        let min_os_version = fields.required("min_os_version", parse_version);
        let entry = fields.required("entry", parse_path);
        let icon = fields.required("icon", parse_path);
        let permissions = fields.permissions();
        let description = fields.optional("description", |s| {
            check_text(s, Self::MAX_DESCRIPTION_CHARS).map(|()| s.to_owned())
        });
        let changelog = fields.optional("changelog", |s| {
            check_text(s, Self::MAX_CHANGELOG_CHARS).map(|()| s.to_owned())
        });
        match (id, name, version, min_os_version, entry, icon, permissions) {
            (
                Some(id),
                Some(name),
                Some(version),
                Some(min_os_version),
                Some(entry),
                Some(icon),
                Some(permissions),
            ) if fields.problems.is_empty() => Ok(Manifest {
                id,
                name,
                version,
                min_os_version,
                entry,
                permissions,
                icon,
                description: description.flatten(),
                changelog: changelog.flatten(),
            }),
            _ => Err(fields.problems),
        }
    }

    /// The `entry` and `icon` paths of a manifest that may break other rules, so the files
    /// they name can still be checked and every problem reported at once.
    pub(crate) fn referenced_paths(bytes: &[u8]) -> (Option<PackagePath>, Option<PackagePath>) {
        let value: Option<Value> = serde_json::from_slice(bytes).ok();
        let path = |field: &str| {
            value
                .as_ref()?
                .get(field)?
                .as_str()
                .and_then(|s| PackagePath::parse(s).ok())
        };
        (path("entry"), path("icon"))
    }

    /// The manifest as pretty JSON with a trailing newline, as `mosis init` writes it.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

impl TryFrom<Value> for Manifest {
    type Error = String;
    fn try_from(value: Value) -> Result<Self, String> {
        Self::from_value(value).map_err(|problems| {
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// Checks a display name against the `name` rules.
pub(crate) fn check_name(s: &str) -> Result<(), String> {
    let chars = s.chars().count();
    if chars == 0 || chars > Manifest::MAX_NAME_CHARS {
        return Err(format!(
            "must be 1–{} characters (is {chars})",
            Manifest::MAX_NAME_CHARS
        ));
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if s.trim().is_empty() {
        return Err("must not be blank".into());
    }
    Ok(())
}

fn check_text(s: &str, max_chars: usize) -> Result<(), String> {
    let chars = s.chars().count();
    if chars > max_chars {
        return Err(format!(
            "must be at most {max_chars} characters (is {chars})"
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters other than newline and tab".into());
    }
    Ok(())
}

fn parse_version(s: &str) -> Result<semver::Version, String> {
    if s.len() > Manifest::MAX_VERSION_LEN {
        return Err(format!(
            "must be at most {} characters",
            Manifest::MAX_VERSION_LEN
        ));
    }
    semver::Version::parse(s)
        .map_err(|e| format!("must be a semantic version like 1.2.3 (`{s}`: {e})"))
}

fn parse_path(s: &str) -> Result<PackagePath, String> {
    PackagePath::parse(s).map_err(|e| format!("`{s}` is not a valid package path: {e}"))
}

/// The object being validated, and the problems found so far.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    problems: Vec<Problem>,
}

impl Fields<'_> {
    fn required<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if !self.map.contains_key(field) {
            self.problems
                .push(Problem::field(field, "missing required field"));
            return None;
        }
        self.optional(field, parse).flatten()
    }

    /// `None` if invalid (problem recorded), `Some(None)` if absent or null.
    fn optional<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.map.get(field) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => match parse(s) {
                Ok(v) => Some(Some(v)),
                Err(reason) => {
                    self.problems.push(Problem::field(field, reason));
                    None
                }
            },
            Some(other) => {
                self.problems.push(Problem::field(
                    field,
                    format!("must be a string, not {}", json_type(other)),
                ));
                None
            }
        }
    }

    fn permissions(&mut self) -> Option<BTreeSet<Permission>> {
        let items = match self.map.get("permissions") {
            None | Some(Value::Null) => return Some(BTreeSet::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.problems.push(Problem::field(
                    "permissions",
                    format!("must be an array of strings, not {}", json_type(other)),
                ));
                return None;
            }
        };
        let mut set = BTreeSet::new();
        let mut ok = true;
        for item in items {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            let problem = match item {
                Value::String(s) => match Permission::parse(s) {
                    Some(p) if set.insert(p) => continue,
                    Some(_) => format!("`{s}` is listed twice"),
                    None => format!("unknown permission `{s}` (known: {})", known.join(", ")),
                },
                other => format!("entries must be strings, not {}", json_type(other)),
            };
            ok = false;
            self.problems.push(Problem::field("permissions", problem));
        }
        ok.then_some(set)
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "id": "com.example.weather",
            "name": "Weather",
            "version": "1.2.3",
            "min_os_version": "2.0.0",
            "entry": "main.js",
            "permissions": ["network", "location"],
            "icon": "icon.png",
            "description": "Forecasts.\nWith newlines.",
            "changelog": "First release."
        })
    }

    /// Applies `edit` to a valid manifest and checks which fields are reported.
    fn check(edit: impl FnOnce(&mut Map<String, Value>), expected_fields: &[&str], needle: &str) {
        let mut value = valid();
        let Value::Object(map) = &mut value else {
            unreachable!()
        };
        edit(map);
        let result = Manifest::from_value(value);
        if expected_fields.is_empty() {
            assert!(result.is_ok(), "{result:?}");
            return;
        }
        let problems = result.expect_err("should be refused");
        let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, expected_fields, "{problems:?}");
        assert!(
            problems.iter().any(|p| p.message.contains(needle)),
            "no message contains {needle:?}: {problems:?}"
        );
    }

    fn set(field: &'static str, v: Value) -> impl FnOnce(&mut Map<String, Value>) {
        move |m| {
            m.insert(field.into(), v);
        }
    }

    fn remove(field: &'static str) -> impl FnOnce(&mut Map<String, Value>) {
        move |m| {
            m.remove(field);
        }
    }

    #[test]
    fn valid_manifest_parses() {
        let m = Manifest::from_value(valid()).unwrap();
        assert_eq!(m.id.as_str(), "com.example.weather");
        assert_eq!(m.version, semver::Version::new(1, 2, 3));
        assert_eq!(m.permissions.len(), 2);
        let again = Manifest::parse(&m.to_json_pretty()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn id_rules() {
        check(set("id", json!("com.Example")), &["id"], "lowercase");
        check(set("id", json!("weather")), &["id"], "2–8");
        check(set("id", json!(7)), &["id"], "must be a string");
        check(remove("id"), &["id"], "missing required field");
    }

    #[test]
    fn name_rules() {
        check(set("name", json!("")), &["name"], "1–50");
        check(set("name", json!("x".repeat(51))), &["name"], "is 51");
        check(set("name", json!("é".repeat(50))), &[], "");
        check(set("name", json!("a\u{7}b")), &["name"], "control");
        check(set("name", json!("   ")), &["name"], "blank");
        check(remove("name"), &["name"], "missing");
    }

    #[test]
    fn version_rules() {
        check(
            set("version", json!("1.2")),
            &["version"],
            "semantic version",
        );
        check(
            set("version", json!("v1.2.3")),
            &["version"],
            "semantic version",
        );
        check(set("version", json!("1.2.3-beta.1+build.5")), &[], "");
        check(
            set("version", json!(format!("1.2.3-{}", "a".repeat(60)))),
            &["version"],
            "at most",
        );
        check(
            set("min_os_version", json!("latest")),
            &["min_os_version"],
            "semantic version",
        );
        check(remove("min_os_version"), &["min_os_version"], "missing");
    }

    #[test]
    fn path_rules() {
        check(set("entry", json!("../main.js")), &["entry"], "traversal");
        check(set("entry", json!("/main.js")), &["entry"], "absolute");
        check(set("icon", json!("a\\icon.png")), &["icon"], "backslash");
        check(remove("icon"), &["icon"], "missing");
    }

    #[test]
    fn permission_rules() {
        check(
            set("permissions", json!(["network", "teleport"])),
            &["permissions"],
            "unknown permission `teleport`",
        );
        check(
            set("permissions", json!(["camera", "camera"])),
            &["permissions"],
            "twice",
        );
        check(
            set("permissions", json!("camera")),
            &["permissions"],
            "array",
        );
        check(set("permissions", json!([1])), &["permissions"], "strings");
        check(remove("permissions"), &[], "");
        check(set("permissions", json!([])), &[], "");
    }

    #[test]
    fn text_rules() {
        check(
            set("description", json!("d".repeat(4001))),
            &["description"],
            "at most 4000",
        );
        check(
            set("changelog", json!("c".repeat(4001))),
            &["changelog"],
            "at most 4000",
        );
        check(set("description", json!("tab\tok")), &[], "");
        check(
            set("description", json!("bell\u{7}")),
            &["description"],
            "control",
        );
        check(remove("description"), &[], "");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        check(
            set("homepage", json!("https://x")),
            &["homepage"],
            "unknown field",
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = Manifest::from_value(json!({
            "id": "X", "name": "", "version": "one", "extra": true, "permissions": ["teleport"]
        }))
        .unwrap_err();
        let mut fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "entry",
                "extra",
                "icon",
                "id",
                "min_os_version",
                "name",
                "permissions",
                "version"
            ]
        );
    }

    #[test]
    fn broken_json_is_one_clear_problem() {
        let problems = Manifest::parse(b"{\"id\": ").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("not valid JSON"),
            "{problems:?}"
        );
        let problems = Manifest::parse(b"[1]").unwrap_err();
        assert!(problems[0].message.contains("JSON object"), "{problems:?}");
    }

    #[test]
    fn serde_deserialize_applies_the_rules() {
        let err = serde_json::from_value::<Manifest>(json!({"id": "bad"})).unwrap_err();
        assert!(err.to_string().contains("field `id`"), "{err}");
    }
}
