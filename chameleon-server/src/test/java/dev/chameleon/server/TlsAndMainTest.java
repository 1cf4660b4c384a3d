package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from PEM files, the plain-HTTP refusal off loopback, and the server's command line. */
class TlsAndMainTest {
    @TempDir
    Path dir;

    private static X509Certificate selfSigned(KeyPair kp) throws Exception {
        X500Name name = new X500Name("CN=127.0.0.1");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(1))), name, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    }

    private static String pem(Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    @Test
    void servesHttpsFromPemFilesAndRefusesAMismatchedKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = selfSigned(kp);
        Path certFile = dir.resolve("server.crt");
        Path keyFile = dir.resolve("server.key");
        Files.writeString(certFile, pem(cert));
        Files.writeString(keyFile, pem(kp.getPrivate())); // Bouncy Castle writes RSA keys as PKCS#1 (RSA PRIVATE KEY)
        assertThat(Files.readString(keyFile)).contains("RSA PRIVATE KEY");

        ServerConfig cfg = ServerConfig.defaults(dir.resolve("data")).withPort(0).withTls("127.0.0.1", certFile, keyFile);
        try (ControlPlane cp = ControlPlane.start(cfg)) {
            assertThat(cp.url()).startsWith("https://127.0.0.1:");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            Http https = new Http(cp.url(), HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build());
            Http.Response r = https.get("/api/v1/server", null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().at("/bundleKey/algorithm").asText()).isEqualTo("Ed25519");
            // plain HTTP on the TLS port gets no API answer
            Http plain = new Http("http://127.0.0.1:" + cp.port());
            assertThatThrownBy(() -> {
                Http.Response p = plain.get("/api/v1/server", null);
                if (p.status() != 200) {
                    throw new IllegalStateException("refused: " + p.status());
                }
            }).isNotNull();
        }

        KeyPair other = g.generateKeyPair();
        Path wrongKey = dir.resolve("other.key");
        Files.writeString(wrongKey, pem(other.getPrivate()));
        assertThatThrownBy(() -> ControlPlane.start(ServerConfig.defaults(dir.resolve("data2")).withPort(0)
                .withTls("127.0.0.1", certFile, wrongKey))).hasMessageContaining("does not belong");
        Files.writeString(dir.resolve("empty.crt"), "nothing");
        assertThatThrownBy(() -> ControlPlane.start(ServerConfig.defaults(dir.resolve("data3")).withPort(0)
                .withTls("127.0.0.1", dir.resolve("empty.crt"), keyFile))).hasMessageContaining("no CERTIFICATE");
    }

    @Test
    void plainHttpIsRefusedOffLoopback() {
        assertThatThrownBy(() -> new ServerConfig("0.0.0.0", 8780, dir, Optional.empty(), Optional.empty(), Optional.empty(), 4))
                .hasMessageContaining("plain HTTP is refused on 0.0.0.0");
        assertThatThrownBy(() -> new ServerConfig("10.1.2.3", 8780, dir, Optional.empty(), Optional.empty(), Optional.empty(), 4))
                .hasMessageContaining("not a loopback");
        assertThat(new ServerConfig("0.0.0.0", 8780, dir, Optional.empty(), Optional.of(dir.resolve("c")), Optional.of(dir.resolve("k")), 4)
                .tls()).isTrue();
        assertThat(new ServerConfig("::1", 8780, dir, Optional.empty(), Optional.empty(), Optional.empty(), 4).host()).isEqualTo("::1");
        assertThatThrownBy(() -> new ServerConfig("127.0.0.1", 8780, dir, Optional.empty(), Optional.of(dir), Optional.empty(), 4))
                .hasMessageContaining("go together");
    }

    private record Run(int code, String out, String err) {
    }

    private static Run main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ServerMain.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** ServerMain in a child JVM on this test's class path; bounded to 60 s. */
    private static Run mainInAnotherProcess(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), ServerMain.class.getName()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("main-out", ".txt");
            Path err = Files.createTempFile("main-err", ".txt");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("ServerMain " + List.of(args) + " did not end in 60 s");
            }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void commandLine() {
        assertThat(main("--help").code()).isEqualTo(0);
        Run bad = main("--bogus", "x");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown option --bogus").contains("usage:");
        assertThat(main("--listen", "nowhere").code()).isEqualTo(2);
        assertThat(main("--listen", "127.0.0.1:http").code()).isEqualTo(2);
        Run open = main("--listen", "0.0.0.0:8780", "--data-dir", dir.toString());
        assertThat(open.code()).isEqualTo(2);
        assertThat(open.err()).contains("plain HTTP is refused");
        assertThat(main("token", "create", "--data-dir", dir.toString()).err()).contains("--name");
        assertThat(main("token", "create", "--name", "x", "--role", "root", "--data-dir", dir.toString()).code()).isEqualTo(2);
        Run bad2 = main("--data-dir", dir.toString(), "--db", "jdbc:mysql://x/y");
        assertThat(bad2.code()).isEqualTo(2);
        assertThat(bad2.err()).contains("jdbc:postgresql://");
    }

    @Test
    void tokenCreateMakesTheFirstAdminToken() {
        Path data = dir.resolve("srv");
        Run made = main("token", "create", "--name", "first admin", "--data-dir", data.toString());
        assertThat(made.code()).as(made.err()).isEqualTo(0);
        String token = made.out().strip();
        assertThat(token).startsWith("cht_tk-");
        assertThat(made.err()).contains("admin token");
        try (ControlPlane cp = ControlPlane.start(ServerConfig.defaults(data).withPort(0))) {
            Http http = new Http(cp.url());
            Http.Response me = http.get("/api/v1/whoami", token);
            assertThat(me.json().get("role").asText()).isEqualTo("admin");
            assertThat(http.get("/api/v1/audit", token).json().get(0).get("actorId").asText()).isEqualTo("server-cli");
            assertThat(http.post("/api/v1/tokens", token, Http.json(Map.of("name", "ops", "role", "operator"))).status()).isEqualTo(201);
            // the key file is the owner's only
            assertThat(Files.exists(data.resolve("bundle-signing.key"))).isTrue();
        }
        // new-user trial: with the server running, token create said "file is locked" with a trace and left chameleon.trace.db
        try (ControlPlane cp = ControlPlane.start(ServerConfig.defaults(data).withPort(0))) {
            // another process, as an operator's shell is (in this JVM H2 would share the open database)
            Run locked = mainInAnotherProcess("token", "create", "--name", "second", "--data-dir", data.toString());
            assertThat(locked.code()).isEqualTo(1);
            assertThat(locked.out()).isEmpty();
            assertThat(locked.err()).startsWith("chameleon server: the server is running on " + data)
                    .contains("stop it, or create the token over the API").contains("POST /api/v1/tokens")
                    .doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(locked.err().lines().count()).isEqualTo(1);
        }
        try (var files = Files.list(data)) {
            assertThat(files.map(f -> f.getFileName().toString())).doesNotContain("chameleon.trace.db");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    data.resolve("bundle-signing.key")))).isEqualTo("rw-------");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void tokenCreateWithAnExpiryAndTokenListShowIt() {
        Path data = dir.resolve("srv-exp");
        java.time.Instant before = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Run made = main("token", "create", "--name", "ci robot", "--role", "operator", "--expires-in", "30d", "--data-dir", data.toString());
        assertThat(made.code()).as(made.err()).isEqualTo(0);
        assertThat(made.err()).contains("operator token").contains("expires at ");
        Run forever = main("token", "create", "--name", "first admin", "--data-dir", data.toString());
        assertThat(forever.err()).contains("never expires");
        Run list = main("token", "list", "--data-dir", data.toString());
        assertThat(list.code()).as(list.err()).isEqualTo(0);
        List<String> lines = list.out().lines().toList();
        assertThat(lines.get(0)).contains("EXPIRES").contains("REVOKED");
        String robot = lines.stream().filter(l -> l.endsWith("ci robot")).findFirst().orElseThrow();
        java.time.Instant expires = java.time.Instant.parse(robot.split("\\s+")[3]);
        assertThat(expires).isBetween(before.plus(java.time.Duration.ofDays(30)), java.time.Instant.now().plus(java.time.Duration.ofDays(30)));
        assertThat(lines.stream().filter(l -> l.endsWith("first admin")).findFirst().orElseThrow()).contains(" never ");
        assertThat(list.out()).doesNotContain(made.out().strip().substring(made.out().strip().indexOf('.') + 1));
        try (ControlPlane cp = ControlPlane.start(ServerConfig.defaults(data).withPort(0))) {
            Http http = new Http(cp.url());
            assertThat(http.get("/api/v1/whoami", made.out().strip()).json().get("role").asText()).isEqualTo("operator");
        }
        // bounded; nonsense is refused (exit 2) and nothing is stored
        for (String bad : List.of("0m", "3661d", "30", "thirty days", "-1d", "1s")) {
            Run r = main("token", "create", "--name", "x", "--expires-in", bad, "--data-dir", data.toString());
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err()).contains("--expires-in must be a duration of 1m to 3660d").contains("'" + bad + "'");
        }
        assertThat(main("token", "list", "--data-dir", data.toString()).out().lines().count()).isEqualTo(3);
        assertThat(main("token", "list", "--name", "x", "--data-dir", data.toString()).code()).isEqualTo(2);
    }

    /** New-user trial: token list on a data dir that did not exist made it and an empty database, and said 0. */
    @Test
    void tokenListRefusesADataDirWithoutADatabaseAndCreatesNothing() throws java.io.IOException {
        Path missing = dir.resolve("no-such-dir");
        Run r = main("token", "list", "--data-dir", missing.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("no server database in").contains(missing.toString()).contains("does not exist");
        assertThat(r.out()).isEmpty();
        assertThat(missing).doesNotExist();
        // an existing but empty folder: refused, left empty
        Path empty = Files.createDirectory(dir.resolve("empty-dir"));
        Run e = main("token", "list", "--data-dir", empty.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(1);
        assertThat(e.err()).contains("chameleon.mv.db is missing");
        try (java.util.stream.Stream<Path> left = Files.list(empty)) {
            assertThat(left).isEmpty();
        }
    }
}
