// The files around the code: the CI workflow and Dependabot parse and say what CONTRIBUTING promises, and the
// editor and dev container files point at scripts and paths that exist.
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");
const packageJson = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

describe("GitHub Actions workflow", () => {
  const workflow = parse(read(".github/workflows/ci.yml")) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { "runs-on": string; steps: Step[]; strategy?: { matrix?: { node?: number[] } } }>;
  };
  const jobs = Object.values(workflow.jobs);

  it("runs on pushes and pull requests, reading the repository only", () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    expect(workflow.permissions).toEqual({ contents: "read" });
  });

  it("installs, lints and runs .ci/run, in that order, on the Node versions the app supports", () => {
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    const runs = job!.steps.map((step) => step.run).filter((run): run is string => run !== undefined);
    expect(runs).toEqual(["npm ci", "npm run lint", ".ci/run"]);
    const uses = job!.steps.map((step) => step.uses ?? "");
    expect(uses.findIndex((u) => u.startsWith("actions/checkout@"))).toBe(0);
    const setupNode = job!.steps.find((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(setupNode?.with?.["node-version"]).toBe("${{ matrix.node }}");
    expect(job!.strategy?.matrix?.node).toEqual(expect.arrayContaining([20, 22]));
  });

  it("calls scripts that exist", () => {
    expect(packageJson.scripts.lint).toBeDefined();
    expect(read(".ci/run")).toMatch(/npm ci && npm test/);
    expect(() => accessSync(path.join(ROOT, ".ci/run"), constants.X_OK)).not.toThrow();
  });
});

describe("Dependabot", () => {
  const config = parse(read(".github/dependabot.yml")) as {
    version: number;
    updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
  };

  it("updates npm packages of the root weekly", () => {
    expect(config.version).toBe(2);
    const npm = config.updates.filter((update) => update["package-ecosystem"] === "npm");
    expect(npm).toHaveLength(1);
    expect(npm[0]).toMatchObject({ directory: "/", schedule: { interval: "weekly" } });
  });
});

describe("editor and dev container", () => {
  it("VS Code tasks run npm scripts that exist", () => {
    const tasks = JSON.parse(read(".vscode/tasks.json")) as {
      tasks: { label: string; type: string; script?: string }[];
    };
    const scripts = tasks.tasks.filter((task) => task.type === "npm").map((task) => task.script);
    expect(scripts).toEqual(expect.arrayContaining(["start", "test", "build", "lint"]));
    for (const script of scripts) expect(packageJson.scripts[script!], script).toBeDefined();
  });

  it("VS Code launches npm start and the tests, with programs and tasks that exist", () => {
    const launch = JSON.parse(read(".vscode/launch.json")) as {
      configurations: { name: string; program?: string; runtimeArgs?: string[]; preLaunchTask?: string }[];
    };
    const labels = (JSON.parse(read(".vscode/tasks.json")) as { tasks: { label: string }[] }).tasks.map(
      (task) => task.label,
    );
    expect(launch.configurations.some((c) => c.runtimeArgs?.join(" ") === "start")).toBe(true);
    expect(launch.configurations.some((c) => c.program?.endsWith("vitest/vitest.mjs"))).toBe(true);
    for (const configuration of launch.configurations) {
      if (configuration.program) {
        const program = configuration.program.replace("${workspaceFolder}", ROOT);
        expect(() => accessSync(program), configuration.name).not.toThrow();
      }
      if (configuration.preLaunchTask) expect(labels).toContain(configuration.preLaunchTask);
    }
  });

  it("the dev container has Node 22, the Azure CLI and azd, and installs with npm ci", () => {
    const container = JSON.parse(read(".devcontainer/devcontainer.json")) as {
      image: string;
      features: Record<string, unknown>;
      postCreateCommand: string;
    };
    expect(container.image).toMatch(/node:22/);
    const features = Object.keys(container.features);
    expect(features.some((f) => f.startsWith("ghcr.io/devcontainers/features/azure-cli"))).toBe(true);
    expect(features.some((f) => f.startsWith("ghcr.io/azure/azure-dev/azd"))).toBe(true);
    expect(container.postCreateCommand).toBe("npm ci");
  });
});
