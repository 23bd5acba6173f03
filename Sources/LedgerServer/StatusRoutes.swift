import Hummingbird
import LedgerEvents
import LedgerProjections
import LedgerReports

/// `GET /v1/projections`: every read model's version, checkpoint, lag and state (a failed one
/// with the position and error it stopped at), as `call-ledger projections status --format json`.
/// `GET /v1/departments`: the departments to pick from (id, name, zone, members now).
struct StatusRoutes {
    let engine: ProjectionEngine

    func register(on group: RouterGroup<LedgerRequestContext>) {
        group.get("projections") { _, context in
            _ = try context.require(.read)
            return jsonResponse(try OrderedJSONEncoder.encode(try engine.status() + engine.unregisteredStatus()))
        }
        group.get("departments") { _, context in
            _ = try context.require(.read)
            return jsonResponse(try OrderedJSONEncoder.encode(try DepartmentDirectory.list(engine: engine, at: LiveView.nowMs)))
        }
    }
}
