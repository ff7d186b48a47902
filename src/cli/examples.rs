//! The "Examples:" block of each leaf command's help, kept in one table
//! so every command has one (tests/cli/cli_help.rs checks that, and that each
//! line fits 80 columns). Commands whose definition already carries an
//! `after_help` keep theirs; this fills in the rest when the command line
//! is built ([`command`]).

use clap::CommandFactory;

use super::Cli;

/// `(command path, examples)`: one command per line, copy-pasteable.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "pcap events",
        "kinspect pcap events capture.pcapng\n\
         kinspect pcap events --keylog keys.log capture.pcapng\n\
         kinspect pcap events -o json cp.pcapng | jq 'select(.type==\"gap\")'",
    ),
    (
        "pcap flows",
        "kinspect pcap flows node1.pcapng node2.pcapng\n\
         kinspect pcap flows --decode-as 12379=etcd-raft capture.pcapng\n\
         kinspect pcap flows -o json capture.pcapng | jq .bytes",
    ),
    (
        "pcap tls",
        "kinspect pcap tls capture.pcapng\n\
         kinspect pcap tls --keylog /tmp/keys capture.pcapng\n\
         kinspect pcap tls -o json capture.pcapng | jq .verdict",
    ),
    (
        "pcap rpc",
        "kinspect pcap rpc capture.pcapng\n\
         kinspect pcap rpc --by-client capture.pcapng\n\
         kinspect pcap rpc --keylog /tmp/keys -o json capture.pcapng",
    ),
    (
        "pcap election",
        "kinspect pcap election peers.pcapng\n\
         kinspect pcap election peers.pcapng --svg election.svg",
    ),
    (
        "pcap report",
        "kinspect pcap report capture.pcapng -o report.html\n\
         kinspect pcap report node1.pcapng node2.pcapng --out report.html",
    ),
    (
        "capture",
        "sudo kinspect capture -i any --preset control-plane --duration 30s\n\
         sudo kinspect capture -i lo --preset etcd -w etcd.pcapng -c 1000\n\
         sudo kinspect capture --view flows --duration 1m",
    ),
    (
        "certs show",
        "kinspect certs show /etc/kubernetes/pki/apiserver.crt\n\
         kinspect certs show /etc/kubernetes/admin.conf\n\
         kinspect certs show --at 2027-01-01 /var/lib/kubelet/pki/kubelet.crt",
    ),
    (
        "certs verify",
        "kinspect certs verify leaf.crt --cacert ca.crt\n\
         kinspect certs verify leaf.crt --cacert root.crt --untrusted int.crt\n\
         kinspect certs verify apiserver.crt --cacert ca.crt --name 10.96.0.1\n\
         kinspect certs verify kubelet.crt --purpose server --at 2027-01-01",
    ),
    (
        "certs kubelet",
        "sudo kinspect certs kubelet\n\
         kinspect certs kubelet --root /mnt/node1\n\
         sudo kinspect certs kubelet --probe 127.0.0.1:10250",
    ),
    (
        "etcd status",
        "kinspect etcd status --endpoints 127.0.0.1:2379,127.0.0.2:2379\n\
         kinspect etcd status -o json | jq 'select(.is_leader)'",
    ),
    (
        "etcd members",
        "kinspect etcd members\n\
         kinspect etcd members --endpoints https://127.0.0.1:2379 \\\n    \
         --cacert ca.crt --cert client.crt --key client.key",
    ),
    (
        "etcd health",
        "kinspect etcd health\n\
         kinspect etcd health -o json | jq 'select(.health == false)'",
    ),
    (
        "etcd watch-leader",
        "kinspect etcd watch-leader\n\
         kinspect etcd watch-leader --interval 250ms --duration 1m\n\
         kinspect etcd watch-leader --duration 30s --svg leader.svg",
    ),
    (
        "etcd move-leader",
        "kinspect etcd move-leader\n\
         kinspect etcd move-leader --to m2",
    ),
    (
        "etcd keys",
        "kinspect etcd keys\n\
         kinspect etcd keys --tree --depth 3\n\
         kinspect etcd keys --db snapshot.db --sizes\n\
         kinspect etcd keys --prefix /demo/ --list",
    ),
    (
        "etcd get",
        "kinspect etcd get /registry/pods/default/web-0\n\
         kinspect etcd get /registry/pods/ --prefix -o yaml\n\
         kinspect etcd get /demo/color --history --db backup.db",
    ),
    (
        "etcd watch",
        "kinspect etcd watch /registry/pods/\n\
         kinspect etcd watch /registry/leases/ --count 10\n\
         kinspect etcd watch /demo/ --rev 1 --duration 5s",
    ),
    (
        "etcd wal",
        "kinspect etcd wal /var/lib/etcd\n\
         kinspect etcd wal /var/lib/etcd --type entry --from-index 100\n\
         kinspect etcd wal /var/lib/etcd -o json | jq -c .request",
    ),
    (
        "etcd snapshot save",
        "kinspect etcd snapshot save backup.db\n\
         kinspect etcd snapshot save backup.db --endpoints 127.0.0.1:2379",
    ),
    (
        "etcd snapshot status",
        "kinspect etcd snapshot status backup.db\n\
         kinspect etcd snapshot status /var/lib/etcd/member/snap/db -o json",
    ),
    (
        "lab etcd up",
        "kinspect lab etcd up\n\
         kinspect lab etcd up --tls\n\
         eval \"$(kinspect lab etcd up)\"",
    ),
    (
        "lab etcd status",
        "kinspect lab etcd status\n\
         kinspect lab etcd status -o json",
    ),
    (
        "lab etcd down",
        "kinspect lab etcd down\n\
         kinspect lab etcd down --purge",
    ),
    (
        "lab etcd kill-leader",
        "kinspect lab etcd kill-leader\n\
         kinspect lab etcd kill-leader && kinspect etcd watch-leader --duration 5s",
    ),
    (
        "lab etcd restart",
        "kinspect lab etcd restart m2\n\
         kinspect lab etcd restart m1 --wait 10s",
    ),
    (
        "k8s rollout",
        "kinspect k8s rollout deployment/web\n\
         kinspect k8s rollout deployment/api -n shop -f cluster.yaml\n\
         kinspect k8s rollout statefulset/db -n shop --db snapshot.db",
    ),
    (
        "k8s lint",
        "kinspect k8s lint deploy.yaml\n\
         kinspect k8s lint manifests/ -f cluster.yaml\n\
         kubectl get deploy -o yaml | kinspect k8s lint -",
    ),
];

/// The command line's definition with every leaf's examples.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (path, text) in EXAMPLES {
        let names: Vec<&str> = path.split(' ').collect();
        cmd = with_examples(cmd, &names, text);
    }
    cmd
}

fn with_examples(cmd: clap::Command, path: &[&str], text: &str) -> clap::Command {
    match path {
        [] => {
            if cmd.get_after_help().is_some() {
                return cmd;
            }
            let body: String = text.lines().map(|l| format!("  {l}\n")).collect();
            cmd.after_help(format!("Examples:\n{}", body.trim_end()))
        }
        [first, rest @ ..] => {
            if cmd.find_subcommand(first).is_none() {
                return cmd;
            }
            cmd.mut_subcommand(*first, |sub| with_examples(sub, rest, text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_path_names_a_command() {
        let cmd = Cli::command();
        for (path, _) in EXAMPLES {
            let mut c = &cmd;
            for name in path.split(' ') {
                c = c
                    .find_subcommand(name)
                    .unwrap_or_else(|| panic!("{path}: no {name}"));
            }
        }
    }
}
