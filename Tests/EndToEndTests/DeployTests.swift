import Foundation
import SwitchyardTestSupport
import XCTest
import Yams

/// deploy/ is checked with the tools that run it, wherever they run without a cluster or a container
/// engine: the Kubernetes base rendered by kustomize (`kubectl kustomize`) and validated against the
/// Kubernetes schemas (`kubernetes-validate`), the alert rules by `promtool` (their syntax and unit tests
/// that make them fire), the systemd unit by `systemd-analyze`, every configuration file of deploy/ by
/// `switchyard check` beside the files it reads, the drain numbers against docs/OPERATIONS.md, the
/// dashboard's metrics against the documented ones, and no secret in a file that could be committed.
/// The container image is not built here (no container engine): deploy/README.md says so.
/// scripts/install-deploy-tools.sh installs the tools (scripts/test.sh runs it).
final class DeployTests: XCTestCase {
    private let root = TestEnvironment.repositoryRoot
    private var deploy: URL { root.appendingPathComponent("deploy") }
    /// The Kubernetes versions the manifests must be valid for: the oldest this base supports, and
    /// the newest schemas kubernetes-validate carries that have been released as of this writing.
    private let kubernetesVersions = ["1.30.0", "1.33.0"]

    // MARK: - 1. Kubernetes: kustomize renders the base, every object matches its schema

    func testKubernetesBaseRendersAndEveryObjectMatchesItsSchema() throws {
        let rendered = try renderKubernetesBase()
        let objects = try Yams.load_all(yaml: rendered).compactMap { $0 as? [String: Any] }
        let kinds = objects.compactMap { $0["kind"] as? String }.sorted()
        XCTAssertEqual(kinds, ["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
                               "NetworkPolicy", "PodDisruptionBudget", "Secret", "Secret", "Service", "Service",
                               "ServiceAccount"], "the objects of the base")

        let file = TestEnvironment.temporaryFile("kubernetes-base.yaml")
        try rendered.write(toFile: file, atomically: true, encoding: .utf8)
        let versions = kubernetesVersions.flatMap { ["-k", $0] }
        let result = TestEnvironment.run("python3", ["-m", "kubernetes_validate", "--strict"] + versions + [file], timeout: 120)
        XCTAssertEqual(result.status, 0, "kubernetes-validate:\n\(result.output)\(result.error)\(Self.installHint)")
        // A kind or apiVersion it has no schema for is only a warning (exit 0): a typo there must fail too.
        let lines = result.output.split(separator: "\n")
        XCTAssertFalse(lines.contains { $0.hasPrefix("WARN") || $0.hasPrefix("ERROR") }, result.output)
        XCTAssertEqual(lines.filter { $0.hasPrefix("INFO") && $0.contains(" passed ") }.count,
                       objects.count * kubernetesVersions.count, result.output)

        // What the spec asks of the Deployment beyond its schema.
        let gateway = try XCTUnwrap(objects.first { $0["kind"] as? String == "Deployment" && name(of: $0) == "switchyard" })
        XCTAssertEqual(value(gateway, "spec.replicas") as? Int, 3)
        let hpa = try XCTUnwrap(objects.first { $0["kind"] as? String == "HorizontalPodAutoscaler" })
        XCTAssertEqual(value(hpa, "spec.minReplicas") as? Int, 3, "the autoscaler starts where the Deployment does")
        let container = try gatewayContainer(gateway)
        XCTAssertEqual(value(container, "readinessProbe.httpGet.path") as? String, "/readyz")
        XCTAssertEqual(value(container, "livenessProbe.httpGet.path") as? String, "/healthz")
        XCTAssertEqual(value(container, "readinessProbe.httpGet.port") as? String, "admin")
        XCTAssertEqual(value(container, "securityContext.readOnlyRootFilesystem") as? Bool, true)
        XCTAssertEqual(value(gateway, "spec.template.spec.securityContext.runAsNonRoot") as? Bool, true)
    }

    // MARK: - 2. Prometheus: the rules load, and their unit tests make them fire

    func testAlertRulesLoadAndFireOnSyntheticSeries() throws {
        let directory = deploy.appendingPathComponent("prometheus")
        let check = TestEnvironment.run("promtool", ["check", "rules", directory.appendingPathComponent("switchyard-alerts.yaml").path])
        XCTAssertEqual(check.status, 0, "promtool check rules:\n\(check.output)\(check.error)\(Self.installHint)")
        let unitTests = TestEnvironment.run("promtool", ["test", "rules", directory.appendingPathComponent("switchyard-alerts.test.yaml").path],
                                            timeout: 60)
        XCTAssertEqual(unitTests.status, 0, "promtool test rules:\n\(unitTests.output)\(unitTests.error)")

        // The alerts the issue names, each backed by a unit test that expects it to fire.
        let rules = try yamlFile(directory.appendingPathComponent("switchyard-alerts.yaml"))
        let alerts = ((rules["groups"] as? [[String: Any]]) ?? []).flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
        let names = Set(alerts.compactMap { $0["alert"] as? String })
        let required = ["SwitchyardHighErrorRatio", "SwitchyardHighLatency", "SwitchyardCircuitOpen",
                        "SwitchyardRateLimitStoreFailing", "SwitchyardVendorQuotaExhausted"]
        XCTAssertTrue(names.isSuperset(of: required), "alerts: \(names.sorted())")
        let tests = try yamlFile(directory.appendingPathComponent("switchyard-alerts.test.yaml"))
        let firing = Set(((tests["tests"] as? [[String: Any]]) ?? [])
            .flatMap { ($0["alert_rule_test"] as? [[String: Any]]) ?? [] }
            .filter { !(($0["exp_alerts"] as? [Any]) ?? []).isEmpty }
            .compactMap { $0["alertname"] as? String })
        for alert in ["SwitchyardHighErrorRatio", "SwitchyardRateLimitStoreFailing"] {
            XCTAssertTrue(firing.contains(alert), "no unit test makes \(alert) fire")
        }

        // Every metric an alert reads is in the contract (OPERATIONS.md, or API.md §6 for those planned).
        let known = try documentedMetrics(includingPlanned: true)
        for alert in alerts {
            let expression = try XCTUnwrap(alert["expr"] as? String)
            for metric in Self.metricNames(in: expression) {
                XCTAssertTrue(known.contains(metric), "\(alert["alert"] ?? "?") reads \(metric), a metric the docs do not name")
            }
        }
    }

    // MARK: - 3. systemd: the unit verifies, and is hardened

    func testSystemdUnitVerifiesAndIsHardened() throws {
        let unit = try String(contentsOf: deploy.appendingPathComponent("systemd/switchyard.service"), encoding: .utf8)
        // `systemd-analyze verify` fails when ExecStart='s program does not exist or is not executable.
        // The unit names where the binary is installed (/usr/local/bin), which this machine lacks: the
        // copy checked here names a link to the binary just built instead, and is otherwise the same.
        let installed = "/usr/local/bin/switchyard"
        XCTAssertTrue(unit.contains("ExecStart=\(installed) serve --config /etc/switchyard/switchyard.yaml"), "ExecStart=")
        let directory = TestEnvironment.temporaryDirectory("systemd")
        let link = directory.appendingPathComponent("switchyard").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: TestEnvironment.binary.path)
        let copy = directory.appendingPathComponent("switchyard.service").path
        try unit.replacingOccurrences(of: installed, with: link).write(toFile: copy, atomically: true, encoding: .utf8)

        let verify = TestEnvironment.run("systemd-analyze", ["verify", copy], timeout: 60)
        XCTAssertEqual(verify.status, 0, "systemd-analyze verify:\n\(verify.output)\(verify.error)\(Self.installHint)")
        // An unknown key or a bad value is only a warning (exit 0): any message fails.
        XCTAssertEqual((verify.output + verify.error).trimmingCharacters(in: .whitespacesAndNewlines), "",
                       "systemd-analyze verify warns")

        // systemd's own exposure score (0 safest, 10 worst) stays at or under 2.0 ("OK").
        let security = TestEnvironment.run("systemd-analyze", ["security", "--offline=true", "--threshold=20", "--no-pager", copy], timeout: 60)
        XCTAssertEqual(security.status, 0, "systemd-analyze security: \(security.output.split(separator: "\n").last ?? "")\(security.error)")

        let directives = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for required in ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes", "PrivateTmp=yes",
                         "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                         "ExecReload=/bin/kill -HUP $MAINPID"] {
            XCTAssertTrue(directives.contains(required), "the unit lacks \(required)")
        }
    }

    // MARK: - 4. Every configuration of deploy/ passes `switchyard check` beside its files

    /// The ConfigMap's file, where the Deployment mounts it, with the Secrets' files where the
    /// Deployment mounts them (as the kubelet writes them: links into a `..data` directory). Paths
    /// are moved under a temporary root, so a file the configuration names that no volume provides,
    /// or a secret the generator does not list, fails here.
    func testKubernetesConfigurationPassesCheckWithTheSecretsMounted() throws {
        let kustomization = try yamlFile(deploy.appendingPathComponent("kubernetes/kustomization.yaml"))
        let deployment = try yamlFile(deploy.appendingPathComponent("kubernetes/deployment.yaml"))
        let container = try gatewayContainer(deployment)
        let podRoot = TestEnvironment.temporaryDirectory("pod")

        let generated = Dictionary(uniqueKeysWithValues: ((kustomization["configMapGenerator"] as? [[String: Any]]) ?? [])
            .map { ("configMap:\($0["name"] as? String ?? "")", ($0["files"] as? [String]) ?? []) }
            + ((kustomization["secretGenerator"] as? [[String: Any]]) ?? [])
            .map { ("secret:\($0["name"] as? String ?? "")", ($0["files"] as? [String]) ?? []) })
        let volumes = (value(deployment, "spec.template.spec.volumes") as? [[String: Any]]) ?? []
        var mounts: [String] = []
        for mount in (container["volumeMounts"] as? [[String: Any]]) ?? [] {
            let path = try XCTUnwrap(mount["mountPath"] as? String)
            let volume = try XCTUnwrap(volumes.first { $0["name"] as? String == mount["name"] as? String }, "volume \(mount)")
            let source: String
            if let configMap = volume["configMap"] as? [String: Any] { source = "configMap:\(configMap["name"] as? String ?? "")" }
            else if let secret = volume["secret"] as? [String: Any] { source = "secret:\(secret["secretName"] as? String ?? "")" }
            else { continue }
            let files = try XCTUnwrap(generated[source], "\(source) is made by no generator of kustomization.yaml")
            mounts.append(path)
            for file in files {
                let fileName = URL(fileURLWithPath: file).lastPathComponent
                let content = fileName == "switchyard.yaml"
                    ? try String(contentsOf: deploy.appendingPathComponent("kubernetes").appendingPathComponent(file), encoding: .utf8)
                    : try placeholderSecret(named: fileName)
                try writeAsTheKubeletDoes(content, name: fileName, in: podRoot.appendingPathComponent(path))
            }
        }
        // The configuration's own paths, moved under the pod's root like the rest.
        let arguments = try XCTUnwrap(container["args"] as? [String])
        let configIndex = try XCTUnwrap(arguments.firstIndex(of: "--config")) + 1
        let configuration = podRoot.path + arguments[configIndex]
        let text = try String(contentsOfFile: configuration, encoding: .utf8)
        let moved = mounts.reduce(text) { $0.replacingOccurrences(of: "\($1)/", with: "\(podRoot.path)\($1)/") }
        try FileManager.default.removeItem(atPath: configuration)
        try moved.write(toFile: configuration, atomically: true, encoding: .utf8)
        XCTAssertNotEqual(moved, text, "the configuration reads nothing from the mounted volumes")

        try assertCheckPasses(configuration, tenants: 5)
    }

    /// The systemd configuration with the unit's credentials (LoadCredential=) where systemd puts them.
    func testSystemdConfigurationPassesCheckWithTheUnitsCredentials() throws {
        let unit = try String(contentsOf: deploy.appendingPathComponent("systemd/switchyard.service"), encoding: .utf8)
        let credentials = unit.split(separator: "\n").filter { $0.hasPrefix("LoadCredential=") }
            .map { String($0.dropFirst("LoadCredential=".count).split(separator: ":")[0]) }
        XCTAssertFalse(credentials.isEmpty, "the unit loads no credential")
        let machine = TestEnvironment.temporaryDirectory("systemd-machine")
        let credentialDirectory = "/run/credentials/switchyard.service"
        for name in credentials {
            try write(try placeholderSecret(named: name), to: machine.appendingPathComponent(credentialDirectory + "/" + name))
        }
        try write(try String(contentsOfFile: TestEnvironment.certificates.appendingPathComponent("server-chain.crt").path, encoding: .utf8),
                  to: machine.appendingPathComponent("/etc/switchyard/tls/server-chain.crt"))
        let text = try String(contentsOf: deploy.appendingPathComponent("systemd/switchyard.yaml"), encoding: .utf8)
        let configuration = machine.appendingPathComponent("/etc/switchyard/switchyard.yaml")
        try write(text.replacingOccurrences(of: "\(credentialDirectory)/", with: "\(machine.path)\(credentialDirectory)/")
                      .replacingOccurrences(of: "/etc/switchyard/", with: "\(machine.path)/etc/switchyard/"),
                  to: configuration)
        XCTAssertTrue(unit.contains("--config /etc/switchyard/switchyard.yaml"))
        try assertCheckPasses(configuration.path, tenants: 5)
    }

    /// The compose configuration with the dev certificates and the JWT secret where compose.yaml
    /// mounts them, and each tenant's upstream the compose service that simulates its vendor.
    func testComposeConfigurationPassesCheckAndPointsEachTenantAtItsSimulator() throws {
        let compose = try yamlFile(deploy.appendingPathComponent("compose/compose.yaml"))
        let services = try XCTUnwrap(compose["services"] as? [String: Any])
        let gateways = services.filter { (($0.value as? [String: Any])?["command"] as? [String])?.first == "serve" }
        XCTAssertEqual(gateways.count, 2, "two gateway replicas")
        XCTAssertNotNil(services["redis"])
        let gateway = try XCTUnwrap(gateways.first?.value as? [String: Any])
        let container = TestEnvironment.temporaryDirectory("compose")
        var moved = try String(contentsOf: deploy.appendingPathComponent("compose/switchyard.yaml"), encoding: .utf8)
        var configuration: URL?
        for volume in (gateway["volumes"] as? [String]) ?? [] {
            let parts = volume.split(separator: ":").map(String.init)
            let target = container.appendingPathComponent(parts[1])
            switch parts[0] {
            case "./switchyard.yaml": configuration = target
            case "./certs":
                for name in ["ca.crt", "server.crt", "server.key", "server-chain.crt"] {
                    try write(try String(contentsOfFile: TestEnvironment.certificates.appendingPathComponent(name).path, encoding: .utf8),
                              to: target.appendingPathComponent(name))
                }
            case "./secrets": try write(try placeholderSecret(named: "jwt-secret"), to: target.appendingPathComponent("jwt-secret"))
            default: XCTFail("unexpected volume \(volume)")
            }
            if parts[0] != "./switchyard.yaml" { moved = moved.replacingOccurrences(of: "\(parts[1])/", with: "\(target.path)/") }
        }
        let file = try XCTUnwrap(configuration, "compose.yaml mounts no switchyard.yaml")
        try write(moved, to: file)
        try assertCheckPasses(file.path, tenants: 5)

        let readme = try String(contentsOf: deploy.appendingPathComponent("README.md"), encoding: .utf8)
        let tenants = try XCTUnwrap(try yamlFile(deploy.appendingPathComponent("compose/switchyard.yaml"))["tenants"] as? [String: [String: Any]])
        for (tenant, settings) in tenants {
            let upstream = try XCTUnwrap(URL(string: settings["upstream"] as? String ?? ""))
            let host = try XCTUnwrap(upstream.host)
            let service = try XCTUnwrap(services[host] as? [String: Any], "\(tenant)'s upstream \(host) is no compose service")
            let command = (service["command"] as? [String]) ?? []
            XCTAssertEqual(Array(command.prefix(2)), ["simulate", settings["vendor"] as? String ?? ""], "\(host) simulates \(tenant)'s vendor")
            XCTAssertEqual(command.firstIndex(of: "--port").map { command[$0 + 1] }, upstream.port.map(String.init), "\(host)'s port")
            // deploy/README.md's make-dev-certs.sh command puts the name in the certificate.
            XCTAssertTrue(readme.contains("--name \(host)"), "deploy/README.md's dev certificate lacks \(host)")
        }
    }

    // MARK: - 5. The drain's numbers agree: Deployment, configurations, docs/OPERATIONS.md

    func testDrainNumbersAgreeAcrossTheDeploymentTheConfigurationsAndOperations() throws {
        // docs/OPERATIONS.md, "Stopping: the drain": the readiness probe it recommends and the margin.
        let operations = try String(contentsOf: root.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        let documentedPeriod = try XCTUnwrap(Self.integer(#"`periodSeconds: (\d+)`"#, in: operations), "OPERATIONS.md's periodSeconds")
        let documentedFailures = try XCTUnwrap(Self.integer(#"`failureThreshold: (\d+)`"#, in: operations), "OPERATIONS.md's failureThreshold")
        let formula = try XCTUnwrap(Self.groups(#"at least (\d+) \((\d+) \+ (\d+) \+ (\d+)\)"#, in: operations), "OPERATIONS.md's grace formula")
        XCTAssertTrue(operations.contains("`terminationGracePeriodSeconds` must exceed `drainDelaySeconds + shutdownGraceSeconds` plus a margin"))
        XCTAssertTrue(operations.contains("if you keep one, the drain delay runs after it"), "OPERATIONS.md on preStop")
        XCTAssertEqual(formula[0], formula[1] + formula[2] + formula[3], "OPERATIONS.md's own sum")
        let margin = formula[3]

        let kubernetes = try limits(of: "kubernetes/switchyard.yaml")
        let deployment = try yamlFile(deploy.appendingPathComponent("kubernetes/deployment.yaml"))
        let container = try gatewayContainer(deployment)
        let period = try XCTUnwrap(value(container, "readinessProbe.periodSeconds") as? Int)
        let failures = try XCTUnwrap(value(container, "readinessProbe.failureThreshold") as? Int)
        XCTAssertEqual([period, failures], [documentedPeriod, documentedFailures], "the readiness probe is OPERATIONS.md's")
        XCTAssertLessThan(Double(period * failures), kubernetes.drainDelay, "out of the endpoints before the listeners close")
        let preStop = try XCTUnwrap(value(container, "lifecycle.preStop.exec.command") as? [String])
        XCTAssertEqual(preStop.count, 2)
        XCTAssertEqual(URL(fileURLWithPath: preStop[0]).lastPathComponent, "sleep")
        let preStopSeconds = try XCTUnwrap(Double(preStop[1]))
        XCTAssertEqual(preStopSeconds, kubernetes.drainDelay, "the preStop wait matches drainDelaySeconds")
        let grace = try XCTUnwrap(value(deployment, "spec.template.spec.terminationGracePeriodSeconds") as? Int)
        XCTAssertEqual(Double(grace), preStopSeconds + kubernetes.drainDelay + kubernetes.shutdownGrace + Double(margin),
                       "terminationGracePeriodSeconds = preStop + drainDelaySeconds + shutdownGraceSeconds + margin")
        // One event loop per CPU the pod may use (`auto` would count the node's).
        XCTAssertEqual(kubernetes.workers, value(container, "resources.limits.cpu") as? String, "workers = the CPU limit")

        // systemd and compose: no preStop, the stop timeout covers the drain and the grace.
        let systemd = try limits(of: "systemd/switchyard.yaml")
        let unit = try String(contentsOf: deploy.appendingPathComponent("systemd/switchyard.service"), encoding: .utf8)
        let stopTimeout = try XCTUnwrap(Self.integer(#"(?m)^TimeoutStopSec=(\d+)$"#, in: unit), "TimeoutStopSec=")
        XCTAssertEqual(Double(stopTimeout), systemd.drainDelay + systemd.shutdownGrace + Double(margin), "TimeoutStopSec=")

        let compose = try limits(of: "compose/switchyard.yaml")
        let services = try XCTUnwrap(try yamlFile(deploy.appendingPathComponent("compose/compose.yaml"))["services"] as? [String: [String: Any]])
        let expected = "\(Int(compose.drainDelay + compose.shutdownGrace) + margin)s"
        let gateways = services.filter { ($0.value["command"] as? [String])?.first == "serve" }
        XCTAssertEqual(gateways.count, 2)
        for (name, service) in gateways {
            XCTAssertEqual(service["stop_grace_period"] as? String, expected, "\(name)'s stop_grace_period")
        }
    }

    // MARK: - 6. The dashboard: valid JSON, documented metrics, queries Prometheus can parse

    func testDashboardIsValidAndReadsOnlyDocumentedMetrics() throws {
        let data = try Data(contentsOf: deploy.appendingPathComponent("grafana/switchyard-dashboard.json"))
        let dashboard = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], "a JSON object")
        XCTAssertEqual(dashboard["uid"] as? String, "switchyard")
        var expressions: [String] = []
        func collect(_ node: Any) {
            if let object = node as? [String: Any] {
                if let expression = object["expr"] as? String { expressions.append(expression) }
                object.values.forEach(collect)
            } else if let array = node as? [Any] {
                array.forEach(collect)
            }
        }
        collect(dashboard["panels"] ?? [])
        XCTAssertGreaterThan(expressions.count, 10)

        let documented = try documentedMetrics(includingPlanned: false)
        var used = Set<String>()
        for expression in expressions {
            let names = Self.metricNames(in: expression)
            XCTAssertFalse(names.isEmpty, "no metric in \(expression)")
            for name in names {
                used.insert(name)
                XCTAssertTrue(documented.contains(name), "the dashboard reads \(name), which docs/OPERATIONS.md does not list: \(expression)")
            }
        }
        // Every metric of §6 that exists today has a panel.
        let bases = Set(used.map(Self.baseName))
        for metric in try documentedMetricTable(includingPlanned: false).keys {
            XCTAssertTrue(bases.contains(metric), "no panel shows \(metric)")
        }

        // Prometheus parses each query: as recording rules, Grafana's variables given values.
        let rules = expressions.enumerated().map { index, expression in
            let query = expression.replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$__range", with: "1h").replacingOccurrences(of: "$tenant", with: ".*")
            return "      - record: switchyard:dashboard_query_\(index)\n        expr: \(Self.yamlQuoted(query))"
        }
        let file = TestEnvironment.temporaryFile("dashboard-rules.yaml")
        try ("groups:\n  - name: dashboard\n    rules:\n" + rules.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let check = TestEnvironment.run("promtool", ["check", "rules", file])
        XCTAssertEqual(check.status, 0, "a dashboard query does not parse:\n\(check.output)\(check.error)\(Self.installHint)")
    }

    // MARK: - 7. No secret in what could be committed

    func testNoPrivateKeyOrSecretUnderDeploy() throws {
        // What `git add deploy` would take: tracked files and untracked ones not ignored.
        let listed = TestEnvironment.run("git", ["-C", root.path, "ls-files", "--cached", "--others", "--exclude-standard", "--", "deploy"])
        XCTAssertEqual(listed.status, 0, listed.error)
        let files = listed.output.split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(files.count, 10, "git listed deploy/")
        let privateKey = try NSRegularExpression(pattern: #"BEGIN [A-Z0-9 ]*PRIVATE KEY"#)
        // Random bytes in base64 (or hex): long, letters and digits mixed.
        let secretLike = try NSRegularExpression(pattern: #"[A-Za-z0-9+/_-]{32,}={0,2}"#)
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            let range = NSRange(text.startIndex..., in: text)
            XCTAssertFalse(privateKey.firstMatch(in: text, range: range) != nil, "\(file) holds a private key")
            for match in secretLike.matches(in: text, range: range) {
                let token = String(text[Range(match.range, in: text)!])
                let digits = token.filter(\.isNumber).count
                let upper = token.filter(\.isUppercase).count
                let lower = token.filter(\.isLowercase).count
                // A word-like identifier (`app.kubernetes.io/…`) has few digits; a secret many of each kind.
                if digits >= 4 && upper >= 4 && lower >= 4 || token.allSatisfy(\.isHexDigit) && token.count >= 40 {
                    XCTFail("\(file) holds what looks like a secret: \(token.prefix(8))…")
                }
            }
            // A Secret object carries no data of its own: its values come from the operator's files.
            for document in (try? Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }) ?? []
            where document["kind"] as? String == "Secret" {
                XCTAssertNil(document["data"], "\(file): a Secret with data")
                XCTAssertNil(document["stringData"], "\(file): a Secret with stringData")
            }
        }
        // The files the operator puts in place are ignored by git, so `git add -A` cannot take them.
        for path in ["deploy/kubernetes/secrets/jwt-secret", "deploy/kubernetes/secrets/tls.key",
                     "deploy/compose/secrets/jwt-secret", "deploy/compose/certs/server.key"] {
            XCTAssertEqual(TestEnvironment.run("git", ["-C", root.path, "check-ignore", "-q", path]).status, 0, "\(path) is not git-ignored")
        }
    }

    // MARK: - Helpers

    private static let installHint = "\n(scripts/install-deploy-tools.sh installs the tools these tests run)"

    /// `kubectl kustomize` of a copy of deploy/kubernetes whose secrets/ holds a placeholder for each
    /// file the generators read (the real ones are the operator's, git-ignored).
    private func renderKubernetesBase() throws -> String {
        let copy = TestEnvironment.temporaryDirectory("kustomize").appendingPathComponent("kubernetes")
        try FileManager.default.copyItem(at: deploy.appendingPathComponent("kubernetes"), to: copy)
        let kustomization = try yamlFile(copy.appendingPathComponent("kustomization.yaml"))
        for generator in ((kustomization["secretGenerator"] as? [[String: Any]]) ?? []) {
            for file in (generator["files"] as? [String]) ?? [] where !FileManager.default.fileExists(atPath: copy.appendingPathComponent(file).path) {
                try write(try placeholderSecret(named: URL(fileURLWithPath: file).lastPathComponent), to: copy.appendingPathComponent(file))
            }
        }
        let result = TestEnvironment.run("kubectl", ["kustomize", copy.path], timeout: 120)
        XCTAssertEqual(result.status, 0, "kubectl kustomize:\n\(result.error)\(Self.installHint)")
        return result.output
    }

    /// A value of the right shape for each secret file: what `switchyard check` accepts.
    private func placeholderSecret(named name: String) throws -> String {
        switch name {
        case "jwt-secret": return String(repeating: "placeholder-jwt-secret-", count: 3) + "\n" // ≥ 32 bytes
        case "acme-key-sha256": return String(repeating: "0", count: 64) + "\n"
        case "tls.crt": return try String(contentsOfFile: TestEnvironment.certificates.appendingPathComponent("server-chain.crt").path, encoding: .utf8)
        case "tls.key": return try String(contentsOfFile: TestEnvironment.serverKey, encoding: .utf8)
        default: return "placeholder-\(name)\n"
        }
    }

    /// Like a Secret or ConfigMap volume: `NAME` is a link to `..data/NAME`.
    private func writeAsTheKubeletDoes(_ content: String, name: String, in directory: URL) throws {
        try write(content, to: directory.appendingPathComponent("..data").appendingPathComponent(name))
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(name).path, withDestinationPath: "..data/\(name)")
    }

    private func write(_ content: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, atomically: true, encoding: .utf8)
    }

    private func assertCheckPasses(_ configuration: String, tenants: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = TestEnvironment.run(TestEnvironment.binary.path, ["check", "--config", configuration], timeout: 60)
        XCTAssertEqual(result.status, 0, "switchyard check:\n\(result.output)\(result.error)", file: file, line: line)
        XCTAssertTrue(result.output.contains("OK (\(tenants) tenants)"), result.output + result.error, file: file, line: line)
    }

    private func yamlFile(_ url: URL) throws -> [String: Any] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any], "\(url.lastPathComponent) is a YAML mapping")
    }

    private func name(of object: [String: Any]) -> String? { value(object, "metadata.name") as? String }

    /// The value at a dotted path of nested mappings.
    private func value(_ object: [String: Any], _ path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }

    private func gatewayContainer(_ deployment: [String: Any]) throws -> [String: Any] {
        let containers = (value(deployment, "spec.template.spec.containers") as? [[String: Any]]) ?? []
        return try XCTUnwrap(containers.first { $0["name"] as? String == "switchyard" }, "the switchyard container")
    }

    private func limits(of file: String) throws -> (drainDelay: Double, shutdownGrace: Double, workers: String) {
        let configuration = try yamlFile(deploy.appendingPathComponent(file))
        let limits = try XCTUnwrap(configuration["limits"] as? [String: Any], "\(file): limits")
        // Both set explicitly: a default changing in the gateway must not silently change the sums.
        let drain = try XCTUnwrap(limits["drainDelaySeconds"].flatMap { Double("\($0)") }, "\(file): limits.drainDelaySeconds")
        let grace = try XCTUnwrap(limits["shutdownGraceSeconds"].flatMap { Double("\($0)") }, "\(file): limits.shutdownGraceSeconds")
        return (drain, grace, "\(configuration["workers"] ?? "auto")")
    }

    /// The metrics of docs/OPERATIONS.md's table (with `…_reused_total` spelled out) and, when asked,
    /// API.md §6's table, which also names those planned; the value is the metric's type.
    private func documentedMetricTable(includingPlanned: Bool) throws -> [String: String] {
        var table: [String: String] = [:]
        func read(_ text: Substring) {
            for row in text.split(separator: "\n") where row.hasPrefix("| `") {
                let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                guard cells.count >= 2 else { continue }
                var previous: String?
                for name in cells[0].split(separator: ",").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }) {
                    var full = name
                    if name.hasPrefix("…"), let previous {
                        let suffix = name.dropFirst()
                        let kept = previous.split(separator: "_").dropLast(suffix.split(separator: "_").count)
                        full = kept.joined(separator: "_") + suffix
                    }
                    table[full] = cells[1].split(separator: " ").first.map(String.init) ?? ""
                    previous = full
                }
            }
        }
        let operations = try String(contentsOf: root.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        let metrics = try XCTUnwrap(operations.range(of: "## Metrics"), "OPERATIONS.md, Metrics")
        read(operations[metrics.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? "")
        if includingPlanned {
            let api = try String(contentsOf: root.appendingPathComponent("docs/API.md"), encoding: .utf8)
            let section = try XCTUnwrap(api.range(of: "## 6. Operations"), "API.md §6")
            read(api[section.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? "")
        }
        XCTAssertGreaterThan(table.count, 15, "read the metrics tables")
        return table
    }

    /// Every series name a query may use: the documented metrics, and a histogram's `_bucket`,
    /// `_count` and `_sum`.
    private func documentedMetrics(includingPlanned: Bool) throws -> Set<String> {
        var names = Set<String>()
        for (name, type) in try documentedMetricTable(includingPlanned: includingPlanned) {
            names.insert(name)
            if type == "histogram" { names.formUnion(["_bucket", "_count", "_sum"].map { name + $0 }) }
        }
        return names
    }

    private static func baseName(_ series: String) -> String {
        // Histograms are the metrics in seconds: their series add _bucket, _count and _sum.
        for suffix in ["_bucket", "_count", "_sum"] where series.hasSuffix(suffix) && series.dropLast(suffix.count).hasSuffix("_seconds") {
            return String(series.dropLast(suffix.count))
        }
        return series
    }

    /// The metric names in a PromQL expression: identifiers that are not inside a label matcher
    /// (`{…}`), a `by`/`without` list, a string or a range (`[5m]`), and are no function or keyword.
    static func metricNames(in expression: String) -> Set<String> {
        var text = expression
        for pattern in [#""(?:[^"\\]|\\.)*""#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#, #"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        let keywords: Set<String> = ["sum", "min", "max", "avg", "count", "rate", "irate", "increase", "histogram_quantile",
                                     "and", "or", "unless", "by", "without", "offset", "bool", "abs", "clamp_min", "clamp_max",
                                     "topk", "bottomk", "quantile", "label_values", "absent", "delta", "deriv", "vector", "scalar"]
        let identifier = try! NSRegularExpression(pattern: #"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*"#)
        var names = Set<String>()
        for match in identifier.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let word = String(text[Range(match.range, in: text)!])
            if !keywords.contains(word) && !word.allSatisfy(\.isNumber) && !["e", "Inf", "NaN", "s", "m", "h"].contains(word) {
                names.insert(word)
            }
        }
        return names
    }

    private static func groups(_ pattern: String, in text: String) -> [Int]? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).flatMap { Int(text[$0]) } }
    }

    private static func integer(_ pattern: String, in text: String) -> Int? { groups(pattern, in: text)?.first }

    private static func yamlQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
