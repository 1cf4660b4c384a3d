package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppsSensorTest {
    @TempDir
    Path tmp;

    static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 41001 1 0000000000000000 100 0 0 10 0
               1: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41002 1 0000000000000000 100 0 0 10 0
               2: 0F02000A:1538 0F02000A:C350 01 00000000:00000000 00:00000000 00000000   108        0 41003 1 0000000000000000 20 4 30 10 -1
            """;
    static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 41004 1 0000000000000000 100 0 0 10 0
            """;

    static void proc(Tree t, long pid, String comm, long ppid, String cmdline) {
        t.file("/proc/" + pid + "/comm", comm + "\n")
                .file("/proc/" + pid + "/stat", pid + " (" + comm + ") S " + ppid + " " + pid + " 0 0 -1\n")
                .file("/proc/" + pid + "/cmdline", cmdline);
    }

    @Test
    void postgresWithChildrenPortsAndUnitAndAJavaApp() throws Exception {
        Tree t = new Tree(tmp);
        proc(t, 1, "systemd", 0, "/sbin/init\0");
        proc(t, 700, "postgres", 1, "/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main\0");
        proc(t, 701, "postgres", 700, "postgres: checkpointer\0");
        t.file("/proc/700/net/tcp", TCP).file("/proc/700/net/tcp6", TCP6)
                .file("/proc/700/cgroup", "0::/system.slice/system-postgresql.slice/postgresql@15-main.service\n")
                .link("/proc/700/fd/3", "socket:[41001]").link("/proc/700/fd/4", "socket:[41004]")
                .link("/proc/700/fd/5", "/var/log/postgresql.log").link("/proc/701/fd/6", "socket:[41003]");
        proc(t, 900, "java", 1, "/usr/bin/java\0-Xms1g\0-cp\0/opt/kafka/libs/*\0-Dlog4j=x\0kafka.Kafka\0config/server.properties\0");
        t.file("/proc/900/cgroup", "0::/system.slice/kafka.service\n");
        proc(t, 950, "java", 1, "java\0-jar\0/srv/app/billing-2.1.jar\0");
        proc(t, 960, "ora_pmon_ORCL", 1, "ora_pmon_ORCL\0");
        proc(t, 970, "bash", 1, "bash\0");
        List<Map<String, Object>> apps = t.senseList(new AppsSensor());
        assertThat(apps).extracting(a -> a.get("name")).containsExactly("postgresql", "kafka", "jvm", "oracle-db");
        assertThat(apps.get(0)).containsEntry("kind", "database").containsEntry("pid", 700L).containsEntry("processes", 2L)
                .containsEntry("ports", List.of(5432L)).containsEntry("unit", "postgresql@15-main.service");
        assertThat(apps.get(1)).containsEntry("mainClass", "kafka.Kafka").containsEntry("unit", "kafka.service")
                .containsEntry("ports", List.of());
        assertThat(apps.get(2)).containsEntry("jar", "billing-2.1.jar").doesNotContainKey("unit");
        assertThat(apps.get(3)).containsEntry("instance", "ORCL");
    }

    @Test
    void parsers() {
        assertThat(AppsSensor.parseListening(TCP)).isEqualTo(Map.of(41001L, 5432L, 41002L, 6379L));
        assertThat(AppsSensor.parsePpid("42 (a (weird) name) S 7 42 0")).contains(7L);
        assertThat(AppsSensor.parseUnit("12:pids:/x\n1:name=systemd:/system.slice/nginx.service\n0::/\n")).contains("nginx.service");
        assertThat(AppsSensor.parseUnit("0::/docker/abc\n")).isEmpty();
        assertThat(AppsSensor.parseJavaCommandLine("java\0--module-path\0/x\0-m\0org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch\0"))
                .isEqualTo(Map.of("mainClass", "org.elasticsearch.bootstrap.Elasticsearch"));
    }

    @Test
    void theTableRejectsTyposAndANewAppIsADataChange() throws Exception {
        assertThatThrownBy(() -> AppsSensor.load("- {name: x, kind: web, com: [x]}"))
                .hasMessageContaining("unknown key 'com'");
        var rules = AppsSensor.load("- {name: caddy, kind: web, comm: [caddy]}");
        Tree t = new Tree(tmp);
        proc(t, 10, "caddy", 1, "caddy\0run\0");
        assertThat(t.senseList(new AppsSensor(rules))).extracting(a -> a.get("name")).containsExactly("caddy");
        assertThat(AppsSensor.standardRules()).extracting(AppsSensor.Rule::name)
                .contains("postgresql", "mysql", "mariadb", "redis", "nginx", "httpd", "elasticsearch", "opensearch", "kafka",
                        "containerd", "docker", "kubelet", "sqlserver", "oracle-db", "jvm");
    }
}
