//! Who a cgroup belongs to, without any API: the systemd unit and the container are
//! read off the cgroup path, then named from files the runtimes leave on the host.
//!
//! | path component | runtime | name from |
//! |---|---|---|
//! | `docker-ID.scope`, `/docker/ID` | docker | `/var/lib/docker/containers/ID/config.v2.json` `Name` (and its `io.kubernetes.*` labels) |
//! | `kubepods…/pod<UID>…/cri-containerd-ID.scope`, `crio-ID.scope`, bare `ID` | containerd, cri-o | the kubelet's `/var/log/containers/POD_NAMESPACE_CONTAINER-ID.log` links, `/var/log/pods/NAMESPACE_POD_UID/` |
//! | `libpod-ID.scope` | podman | `/var/lib/containers/storage/overlay-containers/containers.json` |
//! | `lxc.payload.NAME`, `/lxc/NAME` | lxc | the path |
//! | `machine-NAME.scope` | systemd-nspawn | the path (`\x2d` unescaped) |
//!
//! Everything is read through [`HostRoot`], so an unpacked sosreport names its pods too.

use std::cell::OnceCell;
use std::collections::HashMap;

use serde::Deserialize;

use crate::host_root::HostRoot;
use crate::snapshot::ContainerRef;

/// What the path alone says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathFacts {
    /// The innermost `.service`/`.scope` (else `.slice`) component.
    pub unit: Option<String>,
    /// Runtime and id, when a container component is in the path.
    pub runtime: Option<&'static str>,
    /// The container id (or name, for LXC and nspawn).
    pub id: Option<String>,
    /// The Kubernetes pod UID, dashed.
    pub pod_uid: Option<String>,
}

fn is_hex_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// systemd escapes `-` in unit names as `\x2d`.
fn unescape(s: &str) -> String {
    s.replace("\\x2d", "-")
}

/// Read the unit and container off a cgroup path.
pub fn from_path(path: &str) -> PathFacts {
    let mut f = PathFacts::default();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut slice = None;
    let kube = parts.iter().any(|p| p.starts_with("kubepods"));
    for (i, part) in parts.iter().enumerate() {
        if part.ends_with(".service") || part.ends_with(".scope") {
            f.unit = Some((*part).to_string());
        } else if part.ends_with(".slice") {
            slice = Some((*part).to_string());
        }
        if let Some(uid) = pod_uid(part) {
            f.pod_uid = Some(uid);
            continue;
        }
        let scoped = |prefix: &str| {
            part.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(".scope"))
                .filter(|id| is_hex_id(id))
                .map(str::to_string)
        };
        let found = if let Some(id) = scoped("docker-") {
            Some(("docker", id))
        } else if let Some(id) = scoped("cri-containerd-") {
            Some(("containerd", id))
        } else if let Some(id) = scoped("crio-").or_else(|| scoped("crio-conmon-")) {
            Some(("cri-o", id))
        } else if let Some(id) = scoped("libpod-").or_else(|| scoped("libpod-conmon-")) {
            Some(("podman", id))
        } else if let Some(name) = part.strip_prefix("lxc.payload.") {
            Some(("lxc", name.to_string()))
        } else if let Some(name) = part
            .strip_prefix("machine-")
            .and_then(|r| r.strip_suffix(".scope"))
            .map(unescape)
            .filter(|n| !n.starts_with("qemu-"))
        {
            Some(("systemd-nspawn", name))
        } else if i > 0 && parts[i - 1] == "docker" && is_hex_id(part) {
            Some(("docker", (*part).to_string()))
        } else if i > 0 && parts[i - 1] == "lxc" && i == 1 {
            Some(("lxc", (*part).to_string()))
        } else if kube && is_hex_id(part) {
            // The kubelet's cgroupfs driver: a bare id under pod<UID>; the runtime is
            // told apart by the files it keeps (see `Namer::kube_runtime`).
            Some(("", (*part).to_string()))
        } else {
            None
        };
        if let Some((rt, id)) = found {
            f.runtime = Some(rt);
            f.id = Some(id);
        }
    }
    if f.unit.is_none() {
        f.unit = slice;
    }
    f
}

/// `kubepods-burstable-pod<uid_with_underscores>.slice` or `pod<uid>`.
fn pod_uid(part: &str) -> Option<String> {
    let body = part.strip_suffix(".slice").unwrap_or(part);
    let uid = body
        .rsplit_once("-pod")
        .map(|(_, u)| u)
        .or_else(|| body.strip_prefix("pod"))?;
    let uid = uid.replace('_', "-");
    (uid.len() == 36 && uid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')).then_some(uid)
}

/// A kubelet log link name `POD_NAMESPACE_CONTAINER-ID.log`: (pod, namespace,
/// container, id).
pub(crate) fn parse_kube_log_name(file: &str) -> Option<(String, String, String, String)> {
    let stem = file.strip_suffix(".log")?;
    let (rest, id) = stem.rsplit_once('-')?;
    if !is_hex_id(id) {
        return None;
    }
    let mut it = rest.splitn(3, '_');
    let (pod, ns, container) = (it.next()?, it.next()?, it.next()?);
    Some((pod.into(), ns.into(), container.into(), id.into()))
}

/// A kubelet pod log directory `NAMESPACE_POD_UID`: (uid, namespace, pod).
pub(crate) fn parse_pod_dir(dir: &str) -> Option<(String, String, String)> {
    let mut it = dir.splitn(3, '_');
    let (ns, pod, uid) = (it.next()?, it.next()?, it.next()?);
    (uid.len() == 36).then(|| (uid.into(), ns.into(), pod.into()))
}

/// A pod (and container) name from the kubelet's files or a runtime's labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KubeName {
    /// Pod name.
    pub pod: String,
    /// Its namespace.
    pub namespace: String,
    /// The container's name, when known.
    pub container: Option<String>,
}

/// A Docker container's name and, for dockershim pods, its pod.
type DockerInfo = (String, Option<KubeName>);

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Config", default)]
    config: Option<DockerInner>,
}

#[derive(Deserialize, Default)]
struct DockerInner {
    #[serde(rename = "Labels", default)]
    labels: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct StorageContainer {
    id: String,
    #[serde(default)]
    names: Vec<String>,
}

/// A Docker `config.v2.json`: its name and, for dockershim pods, the pod.
pub(crate) fn parse_docker_config(text: &str) -> Result<DockerInfo, String> {
    let c: DockerConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let labels = c.config.and_then(|i| i.labels).unwrap_or_default();
    let kube = match (
        labels.get("io.kubernetes.pod.name"),
        labels.get("io.kubernetes.pod.namespace"),
        labels.get("io.kubernetes.container.name"),
    ) {
        (Some(p), Some(n), Some(c)) => Some(KubeName {
            pod: p.clone(),
            namespace: n.clone(),
            container: Some(c.clone()),
        }),
        _ => None,
    };
    Ok((c.name.trim_start_matches('/').to_string(), kube))
}

/// Names cgroups from the files on one root; each source is read at most once, and
/// only when a path needs it.
pub struct Namer {
    root: HostRoot,
    kube_logs: OnceCell<HashMap<String, KubeName>>,
    kube_pods: OnceCell<HashMap<String, KubeName>>,
    storage: OnceCell<HashMap<String, String>>,
    docker: HashMap<String, Option<DockerInfo>>,
    by_path: HashMap<String, (Option<String>, Option<ContainerRef>)>,
    /// Sources that could not be read for lack of permission (one warning).
    pub denied: Vec<String>,
}

const CONFIG_LIMIT: u64 = 4 * 1024 * 1024;

impl Namer {
    /// A namer over `root`; reads nothing yet.
    pub fn new(root: &HostRoot) -> Namer {
        Namer {
            root: root.clone(),
            kube_logs: OnceCell::new(),
            kube_pods: OnceCell::new(),
            storage: OnceCell::new(),
            docker: HashMap::new(),
            by_path: HashMap::new(),
            denied: Vec::new(),
        }
    }

    /// The unit and container of the first of `paths` that names one.
    pub fn name<'a>(
        &mut self,
        paths: impl IntoIterator<Item = &'a str>,
    ) -> (Option<String>, Option<ContainerRef>) {
        let mut unit = None;
        for path in paths {
            let (u, c) = self.name_one(path);
            if unit.is_none() {
                unit = u;
            }
            if c.is_some() {
                return (unit, c);
            }
        }
        (unit, None)
    }

    fn name_one(&mut self, path: &str) -> (Option<String>, Option<ContainerRef>) {
        if let Some(hit) = self.by_path.get(path) {
            return hit.clone();
        }
        let facts = from_path(path);
        let container = self.container(&facts);
        let out = (facts.unit, container);
        self.by_path.insert(path.to_string(), out.clone());
        out
    }

    fn container(&mut self, f: &PathFacts) -> Option<ContainerRef> {
        let pod = f.pod_uid.as_ref().and_then(|u| self.pods().get(u).cloned());
        let Some(id) = f.id.clone() else {
            // A pod-level cgroup: the pod, no container.
            let uid = f.pod_uid.as_ref()?;
            let runtime = self.kube_runtime().to_string();
            return Some(match pod {
                Some(k) => ContainerRef {
                    runtime,
                    id: String::new(),
                    name: None,
                    pod: Some(k.pod),
                    namespace: Some(k.namespace),
                },
                None => ContainerRef {
                    runtime,
                    id: String::new(),
                    name: None,
                    pod: Some(format!("uid {uid}")),
                    namespace: None,
                },
            });
        };
        let mut runtime = f.runtime.unwrap_or("").to_string();
        if runtime.is_empty() {
            runtime = if self.docker_info(&id).is_some() {
                "docker".into()
            } else {
                self.kube_runtime().into()
            };
        }
        let mut c = ContainerRef {
            runtime,
            id: id.clone(),
            name: None,
            pod: None,
            namespace: None,
        };
        match c.runtime.as_str() {
            "lxc" | "systemd-nspawn" => c.name = Some(id.clone()),
            "docker" => {
                if let Some((name, kube)) = self.docker_info(&id).cloned() {
                    c.name = Some(name);
                    if let Some(k) = kube {
                        c.pod = Some(k.pod);
                        c.namespace = Some(k.namespace);
                        c.name = k.container;
                    }
                }
            }
            "podman" | "cri-o" => {
                if let Some(n) = self.storage().get(&id) {
                    // CRI-O names its containers k8s_CONTAINER_POD_NAMESPACE_UID_N.
                    let parts: Vec<&str> = n.split('_').collect();
                    if parts.len() >= 4 && parts[0] == "k8s" {
                        c.name = Some(parts[1].into());
                        c.pod = Some(parts[2].into());
                        c.namespace = Some(parts[3].into());
                    } else {
                        c.name = Some(n.clone());
                    }
                }
            }
            _ => {}
        }
        if let Some(k) = self.kube_logs().get(&id) {
            c.pod = Some(k.pod.clone());
            c.namespace = Some(k.namespace.clone());
            c.name = k.container.clone();
        } else if let (None, Some(k)) = (&c.pod, pod) {
            c.pod = Some(k.pod);
            c.namespace = Some(k.namespace);
        }
        Some(c)
    }

    /// Under the kubelet's cgroupfs driver the path does not say the runtime: CRI-O
    /// keeps `/var/lib/containers/storage`, containerd `/run/containerd` or
    /// `/var/lib/containerd`.
    fn kube_runtime(&self) -> &'static str {
        if self.root.exists("run/crio") || self.root.exists("var/lib/crio") {
            "cri-o"
        } else {
            "containerd"
        }
    }

    fn docker_info(&mut self, id: &str) -> Option<&DockerInfo> {
        if !self.docker.contains_key(id) {
            let rel = format!("var/lib/docker/containers/{id}/config.v2.json");
            let info = match self.root.read_bytes(&rel, CONFIG_LIMIT) {
                Ok(bytes) => parse_docker_config(&String::from_utf8_lossy(&bytes)).ok(),
                Err(e) => {
                    if e.is_permission_denied() {
                        self.denied.push("/var/lib/docker/containers".into());
                    }
                    None
                }
            };
            self.docker.insert(id.to_string(), info);
        }
        self.docker.get(id).and_then(Option::as_ref)
    }

    fn kube_logs(&self) -> &HashMap<String, KubeName> {
        self.kube_logs.get_or_init(|| {
            list(&self.root, "var/log/containers")
                .iter()
                .filter_map(|f| parse_kube_log_name(f))
                .map(|(pod, namespace, container, id)| {
                    (
                        id,
                        KubeName {
                            pod,
                            namespace,
                            container: Some(container),
                        },
                    )
                })
                .collect()
        })
    }

    fn pods(&self) -> &HashMap<String, KubeName> {
        self.kube_pods.get_or_init(|| {
            list(&self.root, "var/log/pods")
                .iter()
                .filter_map(|d| parse_pod_dir(d))
                .map(|(uid, namespace, pod)| {
                    (
                        uid,
                        KubeName {
                            pod,
                            namespace,
                            container: None,
                        },
                    )
                })
                .collect()
        })
    }

    fn storage(&self) -> &HashMap<String, String> {
        self.storage.get_or_init(|| {
            let rel = "var/lib/containers/storage/overlay-containers/containers.json";
            let Ok(bytes) = self.root.read_bytes(rel, CONFIG_LIMIT * 4) else {
                return HashMap::new();
            };
            serde_json::from_slice::<Vec<StorageContainer>>(&bytes)
                .map(|v| {
                    v.into_iter()
                        .filter_map(|c| Some((c.id, c.names.into_iter().next()?)))
                        .collect()
                })
                .unwrap_or_default()
        })
    }
}

/// File names in `rel` (a missing or unreadable directory is empty).
fn list(root: &HostRoot, rel: &str) -> Vec<String> {
    HostRoot::read_dir(&root.path(rel))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c1b0e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a";

    #[test]
    fn systemd_units() {
        assert_eq!(
            from_path("/system.slice/nginx.service").unit.as_deref(),
            Some("nginx.service")
        );
        assert_eq!(
            from_path("/user.slice/user-1000.slice/session-3.scope")
                .unit
                .as_deref(),
            Some("session-3.scope")
        );
        assert_eq!(
            from_path("/system.slice/nginx.service/worker")
                .unit
                .as_deref(),
            Some("nginx.service")
        );
        assert_eq!(from_path("/user.slice").unit.as_deref(), Some("user.slice"));
        assert_eq!(from_path("/").unit, None);
        assert_eq!(from_path("/process_api/1f672ab0").unit, None);
    }

    #[test]
    fn container_paths() {
        let f = from_path(&format!("/system.slice/docker-{ID}.scope"));
        assert_eq!((f.runtime, f.id.as_deref()), (Some("docker"), Some(ID)));
        let f = from_path(&format!("/docker/{ID}"));
        assert_eq!(f.runtime, Some("docker"));
        let f = from_path(&format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b7632a2_a56e_4278_987a_22de18008dbe.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(f.runtime, Some("containerd"));
        assert_eq!(
            f.pod_uid.as_deref(),
            Some("0b7632a2-a56e-4278-987a-22de18008dbe")
        );
        let f = from_path(&format!(
            "/kubepods/burstable/pod0b7632a2-a56e-4278-987a-22de18008dbe/{ID}"
        ));
        assert_eq!((f.runtime, f.id.as_deref()), (Some(""), Some(ID)));
        let f = from_path(&format!("/machine.slice/libpod-{ID}.scope/container"));
        assert_eq!(f.runtime, Some("podman"));
        let f = from_path("/lxc.payload.web1");
        assert_eq!((f.runtime, f.id.as_deref()), (Some("lxc"), Some("web1")));
        let f = from_path("/machine.slice/machine-build\\x2dbox.scope");
        assert_eq!(
            (f.runtime, f.id.as_deref()),
            (Some("systemd-nspawn"), Some("build-box"))
        );
        assert_eq!(
            from_path("/machine.slice/machine-qemu\\x2d1\\x2dvm.scope").runtime,
            None
        );
        // Short or non-hex ids are not containers.
        assert_eq!(from_path("/docker/abc").runtime, None);
    }

    #[test]
    fn kubelet_file_names() {
        let (pod, ns, c, id) =
            parse_kube_log_name(&format!("web-7d9f_shop_nginx-{ID}.log")).unwrap();
        assert_eq!(
            (pod.as_str(), ns.as_str(), c.as_str()),
            ("web-7d9f", "shop", "nginx")
        );
        assert_eq!(id, ID);
        assert!(parse_kube_log_name("web_shop_nginx-abc.log").is_none());
        assert!(parse_kube_log_name("random.log").is_none());
        let (uid, ns, pod) =
            parse_pod_dir("shop_web-7d9f_0b7632a2-a56e-4278-987a-22de18008dbe").unwrap();
        assert_eq!(
            (uid.as_str(), ns.as_str(), pod.as_str()),
            ("0b7632a2-a56e-4278-987a-22de18008dbe", "shop", "web-7d9f")
        );
    }

    #[test]
    fn docker_config_name_and_labels() {
        let (n, k) =
            parse_docker_config(r#"{"ID":"x","Name":"/web","Config":{"Labels":{}}}"#).unwrap();
        assert_eq!((n.as_str(), k), ("web", None));
        let (_, k) = parse_docker_config(
            r#"{"Name":"/k8s_nginx_web_shop_1","Config":{"Labels":{"io.kubernetes.pod.name":"web","io.kubernetes.pod.namespace":"shop","io.kubernetes.container.name":"nginx"}}}"#,
        )
        .unwrap();
        let k = k.unwrap();
        assert_eq!((k.pod.as_str(), k.namespace.as_str()), ("web", "shop"));
        assert_eq!(k.container.as_deref(), Some("nginx"));
        assert!(parse_docker_config("{not json").is_err());
    }
}
