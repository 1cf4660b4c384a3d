package dev.chameleon.server.http;

import static dev.chameleon.server.http.Route.Who.ADMIN;
import static dev.chameleon.server.http.Route.Who.AGENT;
import static dev.chameleon.server.http.Route.Who.AGENT_OR_VIEWER;
import static dev.chameleon.server.http.Route.Who.ENROLL;
import static dev.chameleon.server.http.Route.Who.OPERATOR;
import static dev.chameleon.server.http.Route.Who.PUBLIC;
import static dev.chameleon.server.http.Route.Who.VIEWER;
import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.chameleon.server.auth.Access;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.auth.Principal;
import dev.chameleon.server.auth.Role;
import dev.chameleon.server.service.ApiException;
import dev.chameleon.server.service.Audit;
import dev.chameleon.server.service.Bundles;
import dev.chameleon.server.service.Enrollment;
import dev.chameleon.server.service.Events;
import dev.chameleon.server.service.Inventory;
import dev.chameleon.server.service.Mapper;
import dev.chameleon.server.service.Notifier;
import dev.chameleon.server.service.Policies;
import dev.chameleon.server.service.Simulations;
import dev.chameleon.server.service.Reports;
import dev.chameleon.server.service.Rollouts;
import dev.chameleon.server.service.Tokens;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.StoreException;
import dev.chameleon.wire.ErrorBody;
import dev.chameleon.wire.ReportBatch;
import dev.chameleon.wire.Wire;
import dev.chameleon.wire.WireFormatException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import io.javalin.json.JavalinJackson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API under {@code /api/v1/}: the route table (also the source of {@code /openapi.json}),
 * authentication before each handler, the authorization safety net after it, body limits, and the
 * one place exceptions become statuses and the JSON error body.
 */
public final class Api {
    /** Largest JSON body of an operator request. */
    public static final int MAX_JSON_BYTES = 64 * 1024;
    /** Largest report batch (facts and plans of a few hundred KiB fit many times). */
    public static final int MAX_REPORT_BYTES = 4 << 20;
    /** Most events a stream starts with ({@code backlog=}): one batch of the stream's sender. */
    public static final int MAX_BACKLOG = 500;
    /** Largest enrollment request (facts included). */
    public static final int MAX_ENROLL_BYTES = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(Api.class);
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final String ACCESS = "chameleon.access";
    private static final String REQUEST = "chameleon.request-id";

    /** The services the routes call. */
    public record Services(Database db, Tokens tokens, Enrollment enrollment, Reports reports, Policies policies, Rollouts rollouts,
                           Bundles bundles, Inventory inventory, Events events, Audit audit, Notifier notifier,
                           Dto.ServerInfo info, Simulations simulations) {
    }

    private final Services s;
    private final List<Route> routes = new ArrayList<>();
    private final AtomicLong unchecked = new AtomicLong();

    public Api(Services s, List<Route> extra) {
        this.s = s;
        define();
        routes.addAll(extra);
    }

    /** Every route, as registered and documented. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** How many requests the safety net failed because their handler never checked authorization. */
    public long unchecked() {
        return unchecked.get();
    }

    private void route(io.javalin.http.HandlerType m, String path, Route.Who who, String tag, String summary, List<Route.Param> params,
                       Route.Body req, int status, Route.Body resp, List<Integer> errors, Handler h) {
        routes.add(new Route(m, path, who, tag, summary, params, req, status, resp, errors, h));
    }

    private static final List<Integer> NONE = List.of();
    private static final Route.Param LIMIT = Route.Param.query("limit", "integer", "page size, 1 to 500 (default 100)");

    private void define() {
        // ---- public ----
        route(GET, "/healthz", PUBLIC, "server", "Liveness and database reachability (for load balancers)", List.of(), null, 200,
                Route.Body.json(Dto.Health.class), NONE, ctx -> {
                    s.db().read(c -> Database.one(c, "SELECT 1", rs -> rs.getInt(1)));
                    ctx.json(new Dto.Health("ok", s.db().kind().name().toLowerCase(java.util.Locale.ROOT)));
                });
        route(GET, "/api/v1/server", PUBLIC, "server", "The server's version, database kind and bundle-signing key", List.of(), null,
                200, Route.Body.json(Dto.ServerInfo.class), NONE, ctx -> ctx.json(s.info()));
        route(POST, "/api/v1/enroll", ENROLL, "agents", "Exchange an enrollment token for the agent's own credential", List.of(),
                Route.Body.json(dev.chameleon.wire.EnrollRequest.class), 201, Route.Body.json(dev.chameleon.wire.EnrollResponse.class),
                List.of(400, 413, 415), ctx -> {
                    dev.chameleon.wire.EnrollRequest req = Wire.readEnrollRequest(jsonBody(ctx, MAX_ENROLL_BYTES));
                    rawJson(ctx.status(201), Wire.write(s.enrollment().enroll(req, ctx.ip())));
                });

        // ---- who am I ----
        route(GET, "/api/v1/whoami", VIEWER, "server", "Who the credential is, and its role", List.of(), null, 200,
                Route.Body.json(Dto.WhoAmI.class), NONE, ctx -> {
                    Access a = access(ctx);
                    if (a.principal() instanceof Principal.Agent ag) {
                        a.requireAgent(ag.agentId());
                        ctx.json(new Dto.WhoAmI(ag.agentId(), ag.hostname(), "agent"));
                    } else {
                        Grant g = a.require(Role.VIEWER);
                        ctx.json(new Dto.WhoAmI(g.actorId(), g.actorName(), g.role().wire()));
                    }
                });

        // ---- API tokens ----
        route(GET, "/api/v1/tokens", ADMIN, "tokens", "List operators' API tokens (never their secrets)", List.of(), null, 200,
                Route.Body.jsonList(Tokens.ApiTokenView.class), NONE,
                ctx -> ctx.json(s.tokens().listApiTokens(access(ctx).require(Role.ADMIN))));
        route(POST, "/api/v1/tokens", ADMIN, "tokens", "Create an API token; its secret is in this answer only", List.of(),
                Route.Body.json(Dto.TokenRequest.class), 201, Route.Body.json(Tokens.Created.class), List.of(400, 413, 415), ctx -> {
                    Grant g = access(ctx).require(Role.ADMIN);
                    Dto.TokenRequest r = body(ctx, Dto.TokenRequest.class);
                    ctx.status(201).json(s.tokens().createApiToken(g, r.name(), r.role(), r.expiresInSeconds()));
                });
        route(DELETE, "/api/v1/tokens/{id}", ADMIN, "tokens", "Revoke an API token", List.of(), null, 204, null, List.of(404, 409),
                ctx -> {
                    s.tokens().revokeApiToken(access(ctx).require(Role.ADMIN), ctx.pathParam("id"));
                    ctx.status(204);
                });

        // ---- enrollment tokens ----
        route(GET, "/api/v1/enroll-tokens", OPERATOR, "tokens", "List enrollment tokens", List.of(), null, 200,
                Route.Body.jsonList(Tokens.EnrollTokenView.class), NONE,
                ctx -> ctx.json(s.tokens().listEnrollTokens(access(ctx).require(Role.OPERATOR))));
        route(POST, "/api/v1/enroll-tokens", OPERATOR, "tokens", "Create an enrollment token (expiry, uses, labels)", List.of(),
                Route.Body.json(Dto.EnrollTokenRequest.class), 201, Route.Body.json(Tokens.Created.class), List.of(400, 413, 415), ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    Dto.EnrollTokenRequest r = body(ctx, Dto.EnrollTokenRequest.class);
                    ctx.status(201).json(s.tokens().createEnrollToken(g, r.name(), r.ttlSeconds() == null ? 86400 : r.ttlSeconds(),
                            r.maxUses() == null ? 1 : r.maxUses(), r.labels()));
                });
        route(DELETE, "/api/v1/enroll-tokens/{id}", OPERATOR, "tokens", "Revoke an enrollment token", List.of(), null, 204, null,
                List.of(404, 409), ctx -> {
                    s.tokens().revokeEnrollToken(access(ctx).require(Role.OPERATOR), ctx.pathParam("id"));
                    ctx.status(204);
                });

        // ---- agents: inventory ----
        route(GET, "/api/v1/agents", VIEWER, "agents", "Agents, by id, paged; optionally those a CEL selector over facts and labels picks",
                List.of(Route.Param.query("where", "string", "CEL over facts and labels, e.g. platform.hypervisor == \"vmware\""),
                        Route.Param.query("after", "string", "cursor: the next field of the previous page"), LIMIT),
                null, 200, Route.Body.json(Inventory.Page.class), List.of(400, 422), ctx -> {
                    Grant g = access(ctx).require(Role.VIEWER);
                    ctx.json(s.inventory().agents(g, ctx.queryParam("where"), ctx.queryParam("after"), intParam(ctx, "limit", 100, 1, Inventory.MAX_LIMIT)));
                });
        route(GET, "/api/v1/agents/{id}", VIEWER, "agents", "One agent: labels, platform, last seen, mode, pending changes, drift, bundle",
                List.of(), null, 200, Route.Body.json(Inventory.AgentView.class), List.of(404),
                ctx -> ctx.json(s.inventory().agent(access(ctx).require(Role.VIEWER), ctx.pathParam("id"))));
        route(DELETE, "/api/v1/agents/{id}", OPERATOR, "agents", "Remove an agent and its reports; its credential stops working",
                List.of(), null, 204, null, List.of(404), ctx -> {
                    s.inventory().remove(access(ctx).require(Role.OPERATOR), ctx.pathParam("id"));
                    ctx.status(204);
                });
        route(PUT, "/api/v1/agents/{id}/labels", OPERATOR, "agents", "Replace an agent's labels", List.of(),
                Route.Body.json(Dto.LabelsRequest.class), 200, Route.Body.json(Inventory.AgentView.class), List.of(400, 404, 413, 415),
                ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    ctx.json(s.inventory().labels(g, ctx.pathParam("id"), body(ctx, Dto.LabelsRequest.class).labels()));
                });
        for (String[] doc : new String[][] {{"facts", "facts", "The agent's last facts"}, {"plan", "plan", "The agent's last plan"},
                {"current-values", "current_values", "The agent's last reported current values of managed settings"},
                {"status", "status", "The agent's last status report"}}) {
            route(GET, "/api/v1/agents/{id}/" + doc[0], VIEWER, "agents", doc[2], List.of(), null, 200,
                    Route.Body.json(Inventory.Document.class), List.of(404),
                    ctx -> ctx.json(s.inventory().document(access(ctx).require(Role.VIEWER), ctx.pathParam("id"), doc[1])));
        }
        List<Route.Param> history = List.of(Route.Param.query("before", "integer", "only entries with a smaller seq"), LIMIT);
        route(GET, "/api/v1/agents/{id}/changes", VIEWER, "agents", "The agent's change sets, newest first", history, null, 200,
                Route.Body.jsonList(Inventory.ReportView.class), List.of(404), ctx -> ctx.json(s.inventory().history(
                        access(ctx).require(Role.VIEWER), ctx.pathParam("id"), List.of("change-set"), seqParam(ctx, "before", 0),
                        intParam(ctx, "limit", 100, 1, Inventory.MAX_LIMIT))));
        route(GET, "/api/v1/agents/{id}/status-history", VIEWER, "agents", "The agent's status reports (its own cost over time), newest first",
                history, null, 200, Route.Body.jsonList(Inventory.ReportView.class), List.of(404), ctx -> ctx.json(s.inventory().history(
                        access(ctx).require(Role.VIEWER), ctx.pathParam("id"), List.of("status"), seqParam(ctx, "before", 0),
                        intParam(ctx, "limit", 100, 1, Inventory.MAX_LIMIT))));
        route(GET, "/api/v1/agents/{id}/events", VIEWER, "agents", "The agent's events, newest first", history, null, 200,
                Route.Body.jsonList(EventStore.Event.class), List.of(404), ctx -> ctx.json(s.inventory().events(
                        access(ctx).require(Role.VIEWER), ctx.pathParam("id"), seqParam(ctx, "before", 0), intParam(ctx, "limit", 100, 1, Inventory.MAX_LIMIT))));

        // ---- agents: hardware advice (issue 18) ----
        dev.chameleon.server.service.AdviceViews advice = new dev.chameleon.server.service.AdviceViews(s.db(), s.inventory());
        route(GET, "/api/v1/agents/{id}/advice", VIEWER, "agents",
                "The agent's latest hardware advice: the hardware check and, with a migration target, readiness", List.of(), null, 200,
                Route.Body.json(dev.chameleon.server.service.AdviceViews.AgentAdvice.class), List.of(404),
                ctx -> ctx.json(advice.ofAgent(access(ctx).require(Role.VIEWER), ctx.pathParam("id"))));
        route(GET, "/api/v1/advice", VIEWER, "agents", "Every agent's latest hardware advice, by agent id",
                List.of(Route.Param.query("failing", "boolean", "true: only agents whose advice has a failing check")), null, 200,
                Route.Body.jsonList(dev.chameleon.server.service.AdviceViews.AgentAdvice.class), List.of(400), ctx -> {
                    String f = ctx.queryParam("failing");
                    if (f != null && !f.equals("true") && !f.equals("false")) {
                        throw dev.chameleon.server.service.ApiException.invalid("failing must be true or false, found '" + f + "'");
                    }
                    ctx.json(advice.fleet(access(ctx).require(Role.VIEWER), "true".equals(f)));
                });

        // ---- learned tuning: proposals offered to similar VMs (issue 17) ----
        dev.chameleon.server.service.TuningProposals proposals = new dev.chameleon.server.service.TuningProposals(s.db(), s.inventory());
        route(GET, "/api/v1/tuning/proposals", VIEWER, "agents",
                "Proposals of learned tuning agents sent, newest first, whose platform fingerprint is the one given or an agent's own; "
                        + "an operator uploads one as a policy set (PUT /api/v1/policies/{name}) to use it",
                List.of(Route.Param.query("fingerprint", "string", "a fingerprint key: hypervisor=kvm cloud=none cpu=\"...\" memory<=8GiB"),
                        Route.Param.query("agent", "string", "an agent id: proposals for the platform of the facts it last reported")),
                null, 200, Route.Body.jsonList(dev.chameleon.server.service.TuningProposals.Proposal.class), List.of(400, 404), ctx -> {
                    var g = access(ctx).require(Role.VIEWER);
                    String fp = ctx.queryParam("fingerprint");
                    String agent = ctx.queryParam("agent");
                    if ((fp == null || fp.isBlank()) == (agent == null || agent.isBlank())) {
                        throw dev.chameleon.server.service.ApiException.invalid("give exactly one of fingerprint (a fingerprint key) or agent "
                                + "(an agent id)");
                    }
                    ctx.json(proposals.matching(g, fp != null && !fp.isBlank() ? fp : proposals.keyOf(g, agent)));
                });

        // ---- agents: bundle and reports ----
        route(GET, "/api/v1/agents/{id}/bundle", AGENT_OR_VIEWER, "agents",
                "The agent's signed policy bundle; 304 when If-None-Match is its ETag, after waiting up to wait seconds for a change",
                List.of(Route.Param.header("If-None-Match", "the ETag of the bundle the agent holds"),
                        Route.Param.query("wait", "integer", "long poll: seconds to wait for a change before answering 304 (0 to 300)")),
                null, 200, new Route.Body("application/json", dev.chameleon.wire.Bundle.class, false), List.of(304, 404), ctx -> {
                    String id = ctx.pathParam("id");
                    access(ctx).requireAgentOr(id, Role.VIEWER);
                    int wait = intParam(ctx, "wait", 0, 0, Bundles.MAX_WAIT_SECONDS);
                    CompletableFuture<Bundles.Answer> f = s.bundles().fetch(id, ctx.header("If-None-Match"), wait);
                    ctx.future(() -> f.thenAccept(a -> {
                        ctx.header("ETag", a.etag());
                        ctx.header("Cache-Control", "no-cache");
                        if (a.status() == 304) {
                            ctx.status(304);
                        } else {
                            rawJson(ctx, a.body());
                        }
                    }));
                });
        route(POST, "/api/v1/agents/{id}/reports", AGENT, "agents",
                "Send reports; each id is stored once (a retry is acknowledged as a duplicate)", List.of(),
                Route.Body.json(ReportBatch.class), 200, Route.Body.json(dev.chameleon.wire.ReportReceipt.class),
                List.of(400, 413, 415), ctx -> {
                    String id = ctx.pathParam("id");
                    access(ctx).requireAgent(id);
                    ReportBatch b = Wire.readReportBatch(jsonBody(ctx, MAX_REPORT_BYTES));
                    rawJson(ctx, Wire.write(s.reports().ingest(id, b)));
                });

        // ---- fleet ----
        route(GET, "/api/v1/fleet/summary", VIEWER, "fleet", "Counts by platform, mode, freshness, pending changes and drift",
                List.of(), null, 200, Route.Body.json(Inventory.Summary.class), NONE,
                ctx -> ctx.json(s.inventory().summary(access(ctx).require(Role.VIEWER))));
        route(GET, "/api/v1/events", VIEWER, "fleet", "Fleet-wide events after a sequence number, oldest first; a long poll with wait",
                List.of(Route.Param.query("after", "integer", "sequence number of the last event seen (default 0)"),
                        Route.Param.query("agent", "string", "only this agent's events"),
                        Route.Param.query("wait", "integer", "seconds to wait when there are none yet (0 to 60)"), LIMIT),
                null, 200, Route.Body.jsonList(EventStore.Event.class), List.of(400), ctx -> {
                    Grant g = access(ctx).require(Role.VIEWER);
                    CompletableFuture<List<EventStore.Event>> f = s.events().poll(g, seqParam(ctx, "after", 0), ctx.queryParam("agent"),
                            intParam(ctx, "limit", 100, 1, 500),
                            intParam(ctx, "wait", 0, 0, Events.MAX_WAIT_SECONDS));
                    ctx.future(() -> f.thenAccept(ctx::json));
                });
        route(GET, "/api/v1/events/stream", VIEWER, "fleet",
                "Fleet-wide events as server-sent events (id: the sequence number; resumes after Last-Event-ID)",
                List.of(Route.Param.header("Last-Event-ID", "resume after this sequence number"),
                        Route.Param.query("backlog", "integer", "without Last-Event-ID: start with up to this many of the newest events "
                                + "(0 to 500, default 0: only new ones)")), null, 200, Route.Body.stream(), List.of(400),
                ctx -> {
                    Grant g = access(ctx).require(Role.VIEWER);
                    String last = ctx.header("Last-Event-ID");
                    int backlog = intParam(ctx, "backlog", 0);
                    if (backlog < 0 || backlog > MAX_BACKLOG) {
                        throw ApiException.invalid("backlog must be 0 to " + MAX_BACKLOG + ", got " + backlog);
                    }
                    // sequence numbers have no gaps (taken under a row lock), so the newest minus N leaves N events
                    long from = last != null && last.matches("\\d{1,18}") ? Long.parseLong(last)
                            : Math.max(0, s.events().last() - backlog);
                    new SseHandler(client -> stream(client, g, from)).handle(ctx);
                });
        route(GET, "/api/v1/audit", VIEWER, "fleet", "The operators' audit log after a sequence number, oldest first",
                List.of(Route.Param.query("after", "integer", "sequence number of the last entry seen (default 0)"), LIMIT), null, 200,
                Route.Body.jsonList(AuditStore.Entry.class), List.of(400), ctx -> ctx.json(s.audit().after(access(ctx).require(Role.VIEWER),
                        seqParam(ctx, "after", 0), intParam(ctx, "limit", 100, 1, 500))));

        // ---- policies ----
        route(GET, "/api/v1/policies", VIEWER, "policies", "Every policy set, newest version", List.of(), null, 200,
                Route.Body.jsonList(Policies.VersionView.class), NONE, ctx -> ctx.json(s.policies().list(access(ctx).require(Role.VIEWER))));
        route(POST, "/api/v1/policies/validate", VIEWER, "policies",
                "Compile a policy set without storing it (positioned errors in a 422)",
                List.of(Route.Param.query("name", "string", "the set's name, for file names in errors (default draft)")),
                Route.Body.yaml(), 200, Route.Body.json(Policies.Summary.class), List.of(400, 413, 415, 422), ctx -> {
                    access(ctx).require(Role.VIEWER);
                    String name = ctx.queryParam("name") == null ? "draft" : ctx.queryParam("name");
                    ctx.json(s.policies().validate(name, yamlBody(ctx)));
                });
        route(POST, "/api/v1/simulate", VIEWER, "policies",
                "Simulate a candidate policy set (YAML) over every agent's last facts and current values: which agents would change "
                        + "which settings from what to what, and which cannot be decided; stores nothing",
                List.of(Route.Param.query("name", "string", "the candidate's name, for file names in errors and sources (default candidate)"),
                        Route.Param.query("where", "string", "only the agents this CEL selector over facts and labels picks")),
                Route.Body.yaml(), 200, Route.Body.json(Simulations.Result.class), List.of(400, 413, 415, 422), ctx -> {
                    Grant g = access(ctx).require(Role.VIEWER);
                    String name = ctx.queryParam("name") == null ? "candidate" : ctx.queryParam("name");
                    ctx.json(s.simulations().simulate(g, name, yamlBody(ctx), ctx.queryParam("where")));
                });
        route(GET, "/api/v1/policies/{name}", VIEWER, "policies", "Every version of a policy set, newest first", List.of(), null, 200,
                Route.Body.jsonList(Policies.VersionView.class), List.of(404),
                ctx -> ctx.json(s.policies().versions(access(ctx).require(Role.VIEWER), ctx.pathParam("name"))));
        route(PUT, "/api/v1/policies/{name}", OPERATOR, "policies",
                "Upload a new version of a policy set (YAML); compiled first, nothing stored on error",
                List.of(Route.Param.query("comment", "string", "why, for the history (at most 500 characters)")),
                Route.Body.yaml(), 201, Route.Body.json(Policies.VersionView.class), List.of(400, 409, 413, 415, 422), ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    Policies.VersionView v = s.policies().upload(g, ctx.pathParam("name"), yamlBody(ctx), ctx.queryParam("comment"));
                    ctx.status(v.unchanged() ? 200 : 201).json(v);
                });
        route(GET, "/api/v1/policies/{name}/versions/{version}", VIEWER, "policies", "One version of a policy set, with its YAML",
                List.of(), null, 200, Route.Body.json(Policies.VersionView.class), List.of(400, 404),
                ctx -> ctx.json(s.policies().get(access(ctx).require(Role.VIEWER), ctx.pathParam("name"), pathInt(ctx, "version"))));
        route(GET, "/api/v1/policies/{name}/diff", VIEWER, "policies", "What changed between two versions: unified diff and policies",
                List.of(Route.Param.query("from", "integer", "older version"), Route.Param.query("to", "integer", "newer version")),
                null, 200, Route.Body.json(Policies.Diff.class), List.of(400, 404), ctx -> {
                    Grant g = access(ctx).require(Role.VIEWER);
                    ctx.json(s.policies().diff(g, ctx.pathParam("name"), requiredInt(ctx, "from"), requiredInt(ctx, "to")));
                });

        // ---- assignments and rollouts ----
        route(GET, "/api/v1/assignments", VIEWER, "rollouts", "Every assignment with its active rollout", List.of(), null, 200,
                Route.Body.jsonList(Rollouts.AssignmentView.class), NONE,
                ctx -> ctx.json(s.rollouts().assignments(access(ctx).require(Role.VIEWER))));
        route(POST, "/api/v1/assignments", OPERATOR, "rollouts", "Assign a policy set to the agents a selector picks (no version yet)",
                List.of(), Route.Body.json(Dto.AssignmentRequest.class), 201, Route.Body.json(Rollouts.AssignmentView.class),
                List.of(400, 404, 409, 413, 415, 422), ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    Dto.AssignmentRequest r = body(ctx, Dto.AssignmentRequest.class);
                    ctx.status(201).json(s.rollouts().createAssignment(g, r.name(), r.policy(), r.selector()));
                });
        route(GET, "/api/v1/assignments/{name}", VIEWER, "rollouts", "One assignment, with how many agents it and its rollout pick now",
                List.of(), null, 200, Route.Body.json(Rollouts.AssignmentView.class), List.of(404),
                ctx -> ctx.json(s.rollouts().assignment(access(ctx).require(Role.VIEWER), ctx.pathParam("name"))));
        route(PUT, "/api/v1/assignments/{name}", OPERATOR, "rollouts", "Change an assignment's selector", List.of(),
                Route.Body.json(Dto.SelectorRequest.class), 200, Route.Body.json(Rollouts.AssignmentView.class),
                List.of(400, 404, 413, 415, 422), ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    ctx.json(s.rollouts().updateSelector(g, ctx.pathParam("name"), body(ctx, Dto.SelectorRequest.class).selector()));
                });
        route(DELETE, "/api/v1/assignments/{name}", OPERATOR, "rollouts", "Delete an assignment (its agents drop the policy set)",
                List.of(), null, 204, null, List.of(404), ctx -> {
                    s.rollouts().deleteAssignment(access(ctx).require(Role.OPERATOR), ctx.pathParam("name"));
                    ctx.status(204);
                });
        route(GET, "/api/v1/assignments/{name}/rollouts", VIEWER, "rollouts", "An assignment's rollouts, newest first", List.of(), null,
                200, Route.Body.jsonList(Rollouts.RolloutView.class), NONE,
                ctx -> ctx.json(s.rollouts().history(access(ctx).require(Role.VIEWER), ctx.pathParam("name"))));
        route(POST, "/api/v1/assignments/{name}/rollouts", OPERATOR, "rollouts",
                "Start a staged rollout of a version: canaries, then percentage steps, then all", List.of(),
                Route.Body.json(Dto.RolloutRequest.class), 201, Route.Body.json(Rollouts.RolloutView.class),
                List.of(400, 404, 409, 413, 415, 422), ctx -> {
                    Grant g = access(ctx).require(Role.OPERATOR);
                    Dto.RolloutRequest r = body(ctx, Dto.RolloutRequest.class);
                    if (r.version() == null) {
                        throw ApiException.invalid("version is required");
                    }
                    ctx.status(201).json(s.rollouts().start(g, ctx.pathParam("name"), r.version(), r.canaryAgents(), r.canarySelector(),
                            r.steps(), r.intervalSeconds()));
                });
        route(GET, "/api/v1/rollouts/{id}", VIEWER, "rollouts", "One rollout, with how many agents it includes now", List.of(), null,
                200, Route.Body.json(Rollouts.RolloutView.class), List.of(404),
                ctx -> ctx.json(s.rollouts().rollout(access(ctx).require(Role.VIEWER), ctx.pathParam("id"))));
        for (String action : List.of("advance", "pause", "resume", "rollback")) {
            route(POST, "/api/v1/rollouts/{id}/" + action, OPERATOR, "rollouts", switch (action) {
                case "advance" -> "Move a running rollout to its next step (completing it after 100 %)";
                case "pause" -> "Hold a running rollout where it is";
                case "resume" -> "Continue a paused rollout";
                default -> "Roll back: agents go back to the previous version, as a new higher bundle version";
            }, List.of(), null, 200, Route.Body.json(Rollouts.RolloutView.class), List.of(404, 409), ctx -> {
                Grant g = access(ctx).require(Role.OPERATOR);
                String id = ctx.pathParam("id");
                ctx.json(switch (action) {
                    case "advance" -> s.rollouts().advance(g, id);
                    case "pause" -> s.rollouts().pause(g, id);
                    case "resume" -> s.rollouts().resume(g, id);
                    default -> s.rollouts().rollback(g, id);
                });
            });
        }
    }

    private void stream(SseClient client, Grant g, long from) {
        long[] cursor = {from};
        Object lock = new Object();
        Runnable send = () -> {
            synchronized (lock) {
                if (client.terminated()) {
                    return;
                }
                for (EventStore.Event e : s.events().after(g, cursor[0], null, 500)) {
                    client.sendEvent(e.kind(), Mapper.write(e), String.valueOf(e.seq()));
                    cursor[0] = e.seq();
                }
            }
        };
        Runnable stop = s.notifier().listen("events", v -> send.run());
        client.onClose(stop);
        client.keepAlive();
        send.run();
    }

    /** Configures Javalin: JSON mapper, routes wrapped with authentication and the safety net, error mapping. */
    public void configure(JavalinConfig config) {
        config.jsonMapper(new JavalinJackson(Mapper.JSON, false));
        config.http.maxRequestSize = MAX_REPORT_BYTES;
        config.startup.showJavalinBanner = false;
        config.routes.before(ctx -> {
            String given = ctx.header("X-Request-Id");
            String id = given != null && REQUEST_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
            ctx.attribute(REQUEST, id);
            ctx.header("X-Request-Id", id);
        });
        for (Route r : routes) {
            config.routes.addHttpHandler(r.method(), r.path(), wrap(r));
        }
        config.routes.get("/openapi.json", ctx -> rawJson(ctx, openApi()));
        config.routes.exception(Exception.class, (e, ctx) -> error(ctx, e));
        config.routes.error(404, ctx -> {
            if (ctx.attribute(ACCESS) == null && !handled(ctx)) {
                send(ctx, 404, "not-found", "no route " + ctx.method() + " " + ctx.path() + " (see /openapi.json)", List.of());
            }
        });
        // a known path with another method: 405 with Allow (RFC 9110 15.5.6), not 404
        config.http.prefer405over404 = true;
        config.routes.error(405, ctx -> {
            String allow = String.join(", ", allowed(ctx.path()));
            ctx.header("Allow", allow);
            send(ctx, 405, "method-not-allowed", ctx.method() + " is not allowed on " + ctx.path() + " (allowed: " + allow + ")", List.of());
        });
    }

    /** The methods the routes answer on {@code path}, in a fixed order ({@code GET, PUT, POST, DELETE}); HEAD with GET. */
    List<String> allowed(String path) {
        java.util.Set<String> methods = new java.util.TreeSet<>(java.util.Comparator.comparingInt(
                m -> List.of("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE").indexOf(m)));
        List<Route> all = new ArrayList<>(routes);
        all.add(new Route(GET, "/openapi.json", PUBLIC, "server", "", List.of(), null, 200, null, NONE, ctx -> { }));
        for (Route r : all) {
            String regex = java.util.Arrays.stream(r.path().split("/", -1))
                    .map(seg -> seg.matches("\\{[^}]+\\}") ? "[^/]+" : seg.matches("<[^>]+>") ? ".+" : java.util.regex.Pattern.quote(seg))
                    .collect(java.util.stream.Collectors.joining("/"));
            if (path.matches(regex)) {
                methods.add(r.method().name());
                if (r.method() == GET) {
                    methods.add("HEAD");
                }
            }
        }
        return List.copyOf(methods);
    }

    private static boolean handled(Context ctx) {
        String ct = ctx.res().getContentType();
        return ct != null && ct.startsWith("application/json");
    }

    /** The OpenAPI document of every route, {@code /openapi.json} included. */
    public String openApi() {
        List<Route> all = new ArrayList<>(routes);
        all.add(new Route(GET, "/openapi.json", PUBLIC, "server", "This document", List.of(), null, 200, Route.Body.json(null),
                NONE, ctx -> { }));
        return Mapper.write(OpenApi.document(all, s.info().version()));
    }

    private Handler wrap(Route r) {
        return ctx -> {
            if (r.who().authenticated()) {
                Principal p = s.tokens().authenticate(ctx.header("Authorization"));
                Access a = new Access(p, ctx.ip(), ctx.attribute(REQUEST));
                ctx.attribute(ACCESS, a);
                r.handler().handle(ctx);
                if (!a.checked()) {
                    // Fleet's authzcheck: a handler that never checked authorization fails, whatever it did
                    unchecked.incrementAndGet();
                    LOG.error("{} {}: the handler never checked authorization; answered 403", r.method(), r.path());
                    ctx.skipRemainingHandlers();
                    throw ApiException.forbidden("forbidden (the server did not check this request's authorization)");
                }
            } else {
                r.handler().handle(ctx);
            }
        };
    }

    private static Access access(Context ctx) {
        Access a = ctx.attribute(ACCESS);
        if (a == null) {
            throw new IllegalStateException("no access on an authenticated route");
        }
        return a;
    }

    // ---- bodies and parameters ----

    /** Most bytes of a refused body read and thrown away, so the client reads the 413 rather than a reset connection. */
    private static final long DRAIN = 16L << 20;

    /** The body as bytes, refusing more than {@code max} (413) and a wrong content type (415). */
    private static byte[] bytes(Context ctx, int max) {
        long declared = ctx.req().getContentLengthLong();
        try (InputStream in = ctx.bodyInputStream()) {
            if (declared > max) {
                drain(ctx, in, declared);
                throw ApiException.tooLarge("the body is " + declared + " bytes; at most " + max + " here");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > max) {
                    drain(ctx, in, -1);
                    throw ApiException.tooLarge("the body is over " + max + " bytes; at most " + max + " here");
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw ApiException.invalid("cannot read the body: " + e.getMessage());
        }
    }

    /** Reads and discards up to {@link #DRAIN} bytes of a refused body; past that the connection is closed after the answer. */
    private static void drain(Context ctx, InputStream in, long declared) throws IOException {
        if (declared > DRAIN) {
            ctx.header("Connection", "close");
            return;
        }
        long left = DRAIN;
        byte[] buf = new byte[65536];
        int n;
        while (left > 0 && (n = in.read(buf)) > 0) {
            left -= n;
        }
        if (left <= 0) {
            ctx.header("Connection", "close");
        }
    }

    private static void mediaType(Context ctx, List<String> allowed) {
        String ct = ctx.contentType();
        String base = ct == null ? "" : ct.split(";")[0].strip().toLowerCase(java.util.Locale.ROOT);
        if (!allowed.contains(base)) {
            throw new ApiException(415, "unsupported-media-type", "Content-Type must be " + String.join(" or ", allowed)
                    + (ct == null ? ", none given" : ", got " + ct), List.of());
        }
    }

    private static String jsonBody(Context ctx, int max) {
        mediaType(ctx, List.of("application/json"));
        return new String(bytes(ctx, max), StandardCharsets.UTF_8);
    }

    private static <T> T body(Context ctx, Class<T> type) throws IOException {
        String text = jsonBody(ctx, MAX_JSON_BYTES);
        T t = Mapper.JSON.readValue(text, type);
        if (t == null) {
            throw ApiException.invalid("the body is null; send a JSON object");
        }
        return t;
    }

    private static String yamlBody(Context ctx) {
        mediaType(ctx, List.of("application/yaml", "application/x-yaml", "text/yaml", "text/plain"));
        return new String(bytes(ctx, Policies.MAX_BYTES), StandardCharsets.UTF_8);
    }

    private static int intParam(Context ctx, String name, int otherwise) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name + " must be a whole number, got '" + shorten(v) + "'");
        }
    }

    /** A query parameter from {@code min} to {@code max}; {@code otherwise} when absent; 400 invalid naming it when out of range. */
    static int intParam(Context ctx, String name, int otherwise, int min, int max) {
        int v = intParam(ctx, name, otherwise);
        if (v < min || v > max) {
            throw ApiException.invalid("the query parameter " + name + " must be from " + min + " to " + max + ", got " + v);
        }
        return v;
    }

    /** A sequence-number query parameter: 0 or more; {@code otherwise} when absent. */
    static long seqParam(Context ctx, String name, long otherwise) {
        long v = longParam(ctx, name, otherwise);
        if (v < 0) {
            throw ApiException.invalid("the query parameter " + name + " must be 0 or more, got " + v);
        }
        return v;
    }

    private static int requiredInt(Context ctx, String name) {
        if (ctx.queryParam(name) == null) {
            throw ApiException.invalid("the query parameter " + name + " is required");
        }
        return intParam(ctx, name, 0);
    }

    private static long longParam(Context ctx, String name, long otherwise) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) {
            return otherwise;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name + " must be a whole number, got '" + shorten(v) + "'");
        }
    }

    private static int pathInt(Context ctx, String name) {
        try {
            return Integer.parseInt(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name + " must be a whole number, got '" + shorten(ctx.pathParam(name)) + "'");
        }
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    private static Context rawJson(Context ctx, String json) {
        return ctx.contentType("application/json").result(json);
    }

    // ---- errors: one place ----

    private void error(Context ctx, Exception e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException a) {
            send(ctx, a.status(), a.code(), a.getMessage(), a.errors());
        } else if (t instanceof WireFormatException w) {
            send(ctx, 400, "invalid", w.getMessage(), List.of());
        } else if (t instanceof UnrecognizedPropertyException u) {
            send(ctx, 400, "invalid", "unknown field '" + u.getPropertyName() + "' at " + u.getLocation().getLineNr() + ":"
                    + u.getLocation().getColumnNr() + "; known: " + u.getKnownPropertyIds(), List.of());
        } else if (jsonCause(t) != null) {
            // malformed JSON, a value of the wrong shape, or a number out of range ("99999999999999999999"
            // for a long), also when a framework wrapped it: the client's input, so 400, not 500
            JsonProcessingException j = jsonCause(t);
            String where = j.getLocation() == null ? "" : j.getLocation().getLineNr() + ":" + j.getLocation().getColumnNr() + ": ";
            String field = j instanceof com.fasterxml.jackson.databind.JsonMappingException m ? field(m) : "";
            send(ctx, 400, "invalid", where + (field.isEmpty() ? "malformed JSON: " : "field '" + field + "': ")
                    + forPeople(j.getOriginalMessage().split("\n")[0]), List.of());
        } else if (t instanceof HttpResponseException h) {
            send(ctx, h.getStatus(), h.getStatus() == 413 ? "too-large" : "http-" + h.getStatus(), h.getMessage(), List.of());
        } else if (t instanceof StoreException) {
            // one line, no stack trace: under overload (a pool time-out) thousands of these would
            // make the log the bottleneck
            LOG.warn("request {}: {}", (Object) ctx.attribute(REQUEST), t.getMessage());
            send(ctx, 503, "unavailable", "the database failed; try again (request " + ctx.attribute(REQUEST) + ")", List.of());
        } else {
            LOG.error("request {} failed", (Object) ctx.attribute(REQUEST), t);
            send(ctx, 500, "internal", "internal error (request " + ctx.attribute(REQUEST) + ")", List.of());
        }
    }

    /** The JSON path of a mapping error ({@code maxUses}, {@code steps[1]}, {@code labels.rack}); empty when it has none. */
    private static String field(com.fasterxml.jackson.databind.JsonMappingException m) {
        StringBuilder sb = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The first Jackson read error in {@code t}'s cause chain, or null. */
    private static JsonProcessingException jsonCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof JsonProcessingException j) {
                return j;
            }
        }
        return null;
    }

    /** Jackson's nesting error ("Document nesting depth (65) exceeds the maximum allowed (64, from `StreamReadConstraints...`)"). */
    private static final java.util.regex.Pattern NESTING = java.util.regex.Pattern.compile(
            "Document nesting depth \\(\\d+\\) exceeds the maximum allowed \\((\\d+), from [^\\n]*\\)");
    private static final java.util.regex.Pattern JAVA_TYPE = java.util.regex.Pattern.compile("[`'](?:[a-z][\\w]*\\.)+(?:\\w+\\$)?(\\w+)[`']");

    /** Jackson's message with Java type names cut to their simple name ({@code `java.lang.String`} → {@code `String`}). */
    static String forPeople(String message) {
        return NESTING.matcher(JAVA_TYPE.matcher(message).replaceAll("`$1`")).replaceAll("nested deeper than $1 levels");
    }

    private static void send(Context ctx, int status, String code, String message, List<String> errors) {
        String id = ctx.attribute(REQUEST);
        ctx.status(status);
        rawJson(ctx, Wire.write(new ErrorBody(message, code, errors, id == null ? "" : id)));
        if (code.equals(ErrorBody.REENROLL)) {
            ctx.header("Chameleon-Reenroll", "true");
        }
    }
}
