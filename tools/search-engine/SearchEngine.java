/*
 * SearchEngine.java: starts one Elasticsearch node for the local stack and
 * the tests, through org.codelibs elasticsearch-cluster-runner (see pom.xml).
 * The runner's own main cannot place HTTP outside 9201-9299 and leaves the
 * transport on the default range, so this launcher sets every address itself:
 *
 *   java -Xms512m -Xmx512m -cp 'lib/*:classes' SearchEngine BASE_DIR HTTP_PORT TRANSPORT_PORT CLUSTER
 *
 * Both ports bind 127.0.0.1 only; data and logs live under BASE_DIR. The node
 * runs until the process gets SIGTERM (the shutdown hook closes it cleanly).
 */
import java.io.IOException;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

public final class SearchEngine {
    private SearchEngine() {
    }

    private static int port(String name, String value) {
        int p;
        try {
            p = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 2 || p > 65535) {
            System.err.println("search-engine: invalid " + name + " '" + value + "'");
            System.exit(2);
        }
        return p;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 4) {
            System.err.println("usage: SearchEngine BASE_DIR HTTP_PORT TRANSPORT_PORT CLUSTER_NAME");
            System.exit(2);
        }
        final String base = args[0];
        final int http = port("HTTP_PORT", args[1]);
        final int transport = port("TRANSPORT_PORT", args[2]);
        final String cluster = args[3];
        final ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (IOException e) {
                System.err.println("search-engine: close failed: " + e);
            }
        }));
        /* node 1 gets baseHttpPort + 1; a port in use fails the start instead
         * of moving to another one */
        runner.setMaxHttpPort(http);
        runner.onBuild((number, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", Integer.toString(http));
            settings.put("transport.port", Integer.toString(transport));
            settings.put("discovery.type", "single-node");
            /* a nearly full disk must not turn the test indices read-only */
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            settings.put("action.auto_create_index", false);
        });
        try {
            runner.build(ElasticsearchClusterRunner.newConfigs().basePath(base).numOfNode(1)
                    .baseHttpPort(http - 1).clusterName(cluster));
        } catch (RuntimeException e) {
            System.err.println("search-engine: start failed: " + e);
            System.exit(1);
        }
        System.err.println("search-engine: ready http=127.0.0.1:" + http + " transport=" + transport);
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
