// Mesh Compose: the Commerce storefront GraphQL as the one source of the supergraph Hive Gateway
// serves (the `sources` part of an API Mesh `mesh.json`; the extension fields' typeDefs and
// resolvers are in gateway.config.ts).
//
//   COMMERCE_GRAPHQL_URL=http://127.0.0.1:4810/graphql npx mesh-compose -o supergraph.graphql
import { defineConfig, loadGraphQLHTTPSubgraph } from '@graphql-mesh/compose-cli';

const commerceUrl = process.env.COMMERCE_GRAPHQL_URL;
if (!commerceUrl) {
  throw new Error('set COMMERCE_GRAPHQL_URL to the Commerce GraphQL endpoint');
}

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadGraphQLHTTPSubgraph('Commerce', {
        endpoint: commerceUrl,
        // As Adobe's API Mesh examples for Commerce do: queries as GET, so Commerce answers guests
        // with its public Cache-Control, which Hive's response cache honours (Commerce marks every
        // POST answer `max-age=0`, and Hive then caches nothing).
        useGETForQueries: true,
        // Introspection at compose time stays a POST (Mesh Compose would send GET with a body).
        method: 'POST',
      }),
    },
  ],
});
