import Core
import Foundation
import History
import HTTPServer
import Policy

/// The routes that read the history database (history, diff, alerts, admissions) or the
/// runtime's counters (metrics): entries of the one route table (see `APIRouter`), placed on
/// the worker pool.
enum ServiceRoutes {
    static let routes: [Route] = [
        Route("GET", "/metrics", .worker, .read) { r, _ in try r.service().metricsPage() },
        Route("GET", "/api/v1/history", .worker, .read, query: ["target", "limit"]) { r, q in try r.service().historyPage(q.query) },
        Route("GET", "/api/v1/diff", .worker, .read, query: ["from", "to"]) { r, q in try r.service().diffPage(q.query) },
        Route("GET", "/api/v1/alerts", .worker, .read, query: ["state", "limit"]) { r, q in try r.service().alertsPage(q.query) },
        Route("GET", "/api/v1/admissions", .worker, .read, query: ["domain", "decision", "limit"]) { r, q in try r.service().admissionsPage(q.query) },
    ]

    /// A history identifier: a domain UUID or name, or `host`.
    static let targetPattern = "^[A-Za-z0-9_.:+-]{1,128}$"
    static let scanIDPattern = "^[A-Za-z0-9-]{1,64}$"
}

extension APIRouter {
    /// The running service; 503 when this router serves none.
    func service() throws(APIError) -> ServiceRuntime {
        guard let runtime else {
            throw APIError(status: 503, code: "service_unavailable", message: "history is not available here")
        }
        return runtime
    }
}

extension ServiceRuntime {
    func metricsPage() -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                                        ("Cache-Control", "no-store"),
                                                        ("X-Content-Type-Options", "nosniff")]),
                     body: Array(metrics().utf8))
    }

    func historyPage(_ query: QueryParser) throws -> HTTPResponse {
        let target = try query.matching("target", ServiceRoutes.targetPattern, message: "invalid target") ?? "host"
        let limit = try query.int("limit", default: 500, in: 1...5000)
        let points = try reading { try history.history(target: target, limit: limit) }
        if points.isEmpty && target != "host" {
            throw APIError.notFound("no history for '\(target)'")
        }
        return APIRouter.json(200, ["target": .string(target), "points": try JSONValue(encoding: points)])
    }

    func diffPage(_ query: QueryParser) throws -> HTTPResponse {
        var from = try query.matching("from", ServiceRoutes.scanIDPattern, message: "from must be a scan id")
        var to = try query.matching("to", ServiceRoutes.scanIDPattern, message: "to must be a scan id")
        if from == nil || to == nil {
            let ids = try reading { try history.latestScanIDs(2) }
            guard ids.count == 2 else { throw APIError.notFound("history holds fewer than two scans") }
            to = to ?? ids[0]
            from = from ?? ids[1]
        }
        do {
            return APIRouter.json(200, try JSONValue(encoding: try history.diff(from: from!, to: to!)))
        } catch HistoryError.notFound(let what) {
            throw APIError.notFound("\(what) not found in history")
        } catch {
            throw Self.historyError
        }
    }

    func alertsPage(_ query: QueryParser) throws -> HTTPResponse {
        let limit = try query.int("limit", default: 100, in: 1...1000)
        let state = try query.oneOf("state", HistoryStore.DeliveryState.allNames,
                                    message: "state must be pending, delivered, failed or expired")
            .flatMap(HistoryStore.DeliveryState.init(rawValue:))
        let (entries, counts) = try reading { (try history.alerts(limit: limit, state: state), try history.alertCounts()) }
        return APIRouter.json(200, [
            "alerts": try JSONValue(encoding: entries),
            "counts": .object(Dictionary(uniqueKeysWithValues: HistoryStore.DeliveryState.allNames.map {
                ($0, JSONValue.int(counts[HistoryStore.DeliveryState(rawValue: $0)!] ?? 0))
            })),
            "sinks": .array(dispatcher.sinks.map { .string($0.name) }),
        ])
    }

    func admissionsPage(_ query: QueryParser) throws -> HTTPResponse {
        let limit = try query.int("limit", default: 100, in: 1...1000)
        let domain = try query.matching("domain", ServiceRoutes.targetPattern, message: "invalid domain")
        let decision = try query.oneOf("decision", ["admit", "deny", "would-deny", "failed-open", "failed-closed"],
                                       message: "decision must be admit, deny, would-deny, failed-open or failed-closed")
        let (records, counts) = try reading {
            (try history.admissions(limit: limit, domain: domain, decision: decision), try history.admissionCounts())
        }
        return APIRouter.json(200, ["admissions": try JSONValue(encoding: records), "counts": try JSONValue(encoding: counts)])
    }

    private static let historyError = APIError.internalError("history database error")

    /// A history read; its failures answer 500 without the database's words.
    private func reading<T>(_ body: () throws -> T) throws(APIError) -> T {
        do { return try body() } catch { throw Self.historyError }
    }
}

extension HistoryStore.DeliveryState {
    static let allNames = ["pending", "delivered", "failed", "expired"]
}

/// The loaded policies as served by `GET /api/v1/policies`.
enum PolicyJSON {
    static func describe(_ p: PolicySet) -> JSONValue {
        [
            "rules": .array(p.rules.map { r in
                [
                    "id": .string(r.id), "layer": .string(r.layer.rawValue), "severity": .string(r.severity.rawValue),
                    "scope": .string(r.scope == .host ? "host" : "domain"), "title": .string(r.title),
                    "check": .string(r.check.source), "when": .from(r.when?.source), "expected": .string(r.expected),
                    "rationale": .string(r.rationale), "remediation": .string(r.remediation),
                    "references": .array(r.references.map { .string($0) }), "tags": .array(r.tags.map { .string($0) }),
                    "weight": .double(r.weight(at: r.severity)), "breaksLayer": .bool(r.breaksLayer),
                ]
            }),
            "profiles": .array(p.profiles.map { pr in
                ["name": .string(pr.name), "description": .string(pr.description), "default": .bool(pr.isDefault)]
            }),
        ]
    }
}
