"""A polyglot repository covering every manifest type techspec reads, and the
results expected from it, written by hand."""
from __future__ import annotations

MIT_TEXT = """MIT License

Copyright (c) 2024 Example

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""

FILES: dict[str, str] = {
    # --- Python: requirements with includes, constraints, options, hashes, VCS, editable
    "requirements.txt": """# runtime
--index-url https://pypi.org/simple
-r requirements/base.txt
-c constraints.txt
requests[socks]>=2.31,<3 ; python_version >= "3.8"
flask==3.0.3 \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
-e git+https://github.com/example/editable-lib.git@v1.2#egg=editable-lib
git+https://github.com/example/vcs-lib.git@main#egg=vcs-lib
""",
    "requirements/base.txt": "click>=8.1\n",
    "constraints.txt": "requests==2.32.3\nclick==8.1.7\n",
    "requirements-dev.txt": "-r requirements.txt\npytest>=8\n",
    # --- Python: PEP 621, PEP 735, build-system, with uv.lock
    "pyproject.toml": """[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "polyglot"
version = "0.1.0"
requires-python = ">=3.11"
license = "MIT"
dependencies = ["httpx>=0.27", "pydantic>=2,<3"]

[project.optional-dependencies]
postgres = ["psycopg[binary]>=3.1"]
test = ["pytest-cov>=5"]

[dependency-groups]
lint = ["ruff==0.6.9"]
typing = ["mypy>=1.11"]
""",
    "uv.lock": """version = 1
requires-python = ">=3.11"

[[package]]
name = "polyglot"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "httpx"
version = "0.27.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pydantic"
version = "2.9.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "anyio"
version = "4.6.0"
source = { registry = "https://pypi.org/simple" }
""",
    # --- Python: Poetry project with poetry.lock
    "services/worker/pyproject.toml": """[tool.poetry]
name = "worker"
version = "1.0.0"
license = "Apache-2.0"

[tool.poetry.dependencies]
python = "^3.11"
celery = {version = "^5.4", extras = ["redis"]}
boto3 = "1.35.0"

[tool.poetry.group.dev.dependencies]
black = "^24.8"

[tool.poetry.group.test.dependencies]
pytest-mock = "*"
""",
    "services/worker/poetry.lock": """[[package]]
name = "celery"
version = "5.4.0"
groups = ["main"]

[[package]]
name = "boto3"
version = "1.35.0"
groups = ["main"]

[[package]]
name = "black"
version = "24.8.0"
groups = ["dev"]

[[package]]
name = "pytest-mock"
version = "3.14.0"
groups = ["test"]

[[package]]
name = "kombu"
version = "5.4.2"
category = "main"
""",
    # --- Python: setup.cfg and Pipfile with Pipfile.lock
    "services/legacy/setup.cfg": """[metadata]
name = legacy
license = BSD 3-Clause

[options]
python_requires = >=3.9
install_requires =
    six>=1.16
    attrs==23.2.0
setup_requires = setuptools_scm>=8
tests_require = nose2

[options.extras_require]
docs = sphinx>=7
""",
    "services/legacy/Pipfile": """[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "*"
django = {version = ">=4.2,<5.0"}

[dev-packages]
pytest-django = "==4.9.0"

[requires]
python_version = "3.11"
""",
    "services/legacy/Pipfile.lock": """{
  "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6},
  "default": {
    "requests": {"hashes": [], "version": "==2.32.3"},
    "django": {"hashes": [], "version": "==4.2.16"},
    "sqlparse": {"hashes": [], "version": "==0.5.1"}
  },
  "develop": {
    "pytest-django": {"hashes": [], "version": "==4.9.0"}
  }
}
""",
    # --- Python: PDM project with pdm.lock
    "services/pdmapp/pyproject.toml": """[project]
name = "pdmapp"
dependencies = ["rich>=13"]

[tool.pdm.dev-dependencies]
test = ["pytest>=8"]
""",
    "services/pdmapp/pdm.lock": """[metadata]
groups = ["default", "test"]

[[package]]
name = "rich"
version = "13.9.2"
groups = ["default"]

[[package]]
name = "pytest"
version = "8.3.3"
groups = ["test"]

[[package]]
name = "markdown-it-py"
version = "3.0.0"
groups = ["default"]
""",
    # --- JavaScript: package.json with package-lock.json v3
    "web/package.json": """{
  "name": "web",
  "license": "MIT",
  "engines": {"node": ">=20"},
  "packageManager": "pnpm@9.12.0",
  "dependencies": {"react": "^18.3.1", "next": "14.2.15"},
  "devDependencies": {"typescript": "~5.6.2", "eslint": "^9.12.0"},
  "peerDependencies": {"react-dom": "^18"},
  "optionalDependencies": {"fsevents": "^2.3.3"}
}
""",
    "web/package-lock.json": """{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "web", "dependencies": {"react": "^18.3.1"}},
    "node_modules/react": {"version": "18.3.1", "license": "MIT"},
    "node_modules/next": {"version": "14.2.15", "license": "MIT"},
    "node_modules/typescript": {"version": "5.6.3", "dev": true, "license": "Apache-2.0"},
    "node_modules/eslint": {"version": "9.12.0", "dev": true, "license": "MIT"},
    "node_modules/react-dom": {"version": "18.3.1", "peer": true, "license": "MIT"},
    "node_modules/fsevents": {"version": "2.3.3", "optional": true, "license": "MIT"},
    "node_modules/loose-envify": {"version": "1.4.0", "license": "MIT"},
    "node_modules/next/node_modules/postcss": {"version": "8.4.31", "license": "MIT"}
  }
}
""",
    "web/src/index.tsx": "export const App = () => <div>hello</div>;\n",
    "web/dist/bundle.js": "console.log('generated');\n",
    # --- JavaScript: yarn classic
    "app2/package.json": '{"name": "app2", "dependencies": {"express": "^4.21.0", "@types/node": "^22.0.0"}}\n',
    "app2/yarn.lock": """# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@types/node@^22.0.0":
  version "22.7.5"
  resolved "https://registry.yarnpkg.com/@types/node/-/node-22.7.5.tgz"

accepts@~1.3.8:
  version "1.3.8"
  dependencies:
    mime-types "~2.1.34"

express@^4.21.0, express@^4.x:
  version "4.21.1"
""",
    # --- JavaScript: pnpm v9
    "app3/package.json": '{"name": "app3", "dependencies": {"vue": "^3.5.0"}, "devDependencies": {"vitest": "^2.1.0"}}\n',
    "app3/pnpm-lock.yaml": """lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      vue:
        specifier: ^3.5.0
        version: 3.5.12
    devDependencies:
      vitest:
        specifier: ^2.1.0
        version: 2.1.3

packages:

  '@vue/shared@3.5.12':
    resolution: {integrity: sha512-x}

  vitest@2.1.3:
    resolution: {integrity: sha512-y}

  vue@3.5.12(typescript@5.6.3):
    resolution: {integrity: sha512-z}
""",
    # --- Java: Maven parent and module
    "java/pom.xml": """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>parent</artifactId>
  <version>2.0.0</version>
  <packaging>pom</packaging>
  <properties>
    <spring.version>6.1.14</spring.version>
    <junit.version>5.11.2</junit.version>
    <maven.compiler.release>21</maven.compiler.release>
  </properties>
  <licenses><license><name>Apache License, Version 2.0</name></license></licenses>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><version>42.7.4</version></dependency>
    </dependencies>
  </dependencyManagement>
</project>
""",
    "java/app/pom.xml": """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>2.0.0</version>
  </parent>
  <artifactId>app</artifactId>
  <properties><jackson.version>2.18.0</jackson.version></properties>
  <dependencies>
    <dependency><groupId>org.springframework</groupId><artifactId>spring-webmvc</artifactId><version>${spring.version}</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><scope>runtime</scope></dependency>
    <dependency><groupId>jakarta.servlet</groupId><artifactId>jakarta.servlet-api</artifactId><version>6.1.0</version><scope>provided</scope></dependency>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><version>${junit.version}</version><scope>test</scope></dependency>
    <dependency><groupId>com.example</groupId><artifactId>shared</artifactId><version>${project.version}</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.1</version></plugin>
    </plugins>
  </build>
</project>
""",
    "java/app/src/main/java/App.java": "public class App { public static void main(String[] a) {} }\n",
    # --- Java: Gradle Kotlin DSL with a version catalog, and Groovy DSL
    "gradle-app/build.gradle.kts": """plugins {
    id("org.springframework.boot") version "3.3.4"
    kotlin("jvm") version "2.0.21"
}

dependencies {
    implementation("org.springframework.boot:spring-boot-starter-web")
    implementation(libs.guava)
    runtimeOnly("com.h2database:h2:2.3.232")
    testImplementation(libs.junit.jupiter)
    compileOnly("org.projectlombok:lombok:1.18.34")
}
""",
    "gradle-app/gradle/libs.versions.toml": """[versions]
junit = "5.11.2"

[libraries]
guava = "com.google.guava:guava:33.3.1-jre"
junit-jupiter = { module = "org.junit.jupiter:junit-jupiter", version.ref = "junit" }
""",
    "legacy-gradle/build.gradle": """dependencies {
    implementation 'org.apache.commons:commons-lang3:3.17.0'
    testImplementation group: 'junit', name: 'junit', version: '4.13.2'
    annotationProcessor "org.mapstruct:mapstruct-processor:1.6.2"
}
""",
    # --- Go
    "go/go.mod": """module example.com/polyglot

go 1.23

toolchain go1.23.2

require (
\tgithub.com/gin-gonic/gin v1.10.0
\tgithub.com/jackc/pgx/v5 v5.7.1
\tgolang.org/x/net v0.30.0 // indirect
)

require github.com/stretchr/testify v1.9.0

replace example.com/old => ./old
""",
    "go/main.go": "package main\n\nfunc main() {}\n",
    # --- Rust
    "rust/Cargo.toml": """[package]
name = "engine"
version = "0.1.0"
edition = "2021"
rust-version = "1.80"
license = "MIT OR Apache-2.0"

[dependencies]
serde = { version = "1.0.210", features = ["derive"] }
tokio = { version = "1", optional = true }
my-log = { package = "log", version = "0.4" }
local-util = { path = "../util" }

[dev-dependencies]
criterion = "0.5"

[build-dependencies]
cc = "=1.1.30"
""",
    "rust/Cargo.lock": """version = 3

[[package]]
name = "engine"
version = "0.1.0"

[[package]]
name = "serde"
version = "1.0.210"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tokio"
version = "1.40.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "log"
version = "0.4.22"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "criterion"
version = "0.5.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "cc"
version = "1.1.30"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
""",
    "rust/rust-toolchain.toml": '[toolchain]\nchannel = "1.81.0"\n',
    "rust/src/lib.rs": "pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
    # --- Ruby
    "ruby/Gemfile": """source "https://rubygems.org"
ruby "3.3.5"

gem "rails", "~> 7.2.1"
gem "pg", ">= 1.1", "< 2.0"
gem "puma"

group :development, :test do
  gem "rspec-rails", "~> 7.0"
end

group :development do
  gem "rubocop", require: false
end

gem "sidekiq", "~> 7.3", group: :production
""",
    "ruby/Gemfile.lock": """GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.2.1)
      rack (>= 2.2.4)
    nokogiri (1.16.7-x86_64-linux)
    pg (1.5.8)
    puma (6.4.3)
      nio4r (~> 2.0)
    rails (7.2.1)
      actionpack (= 7.2.1)
    rspec-rails (7.0.1)
    rubocop (1.66.1)
    sidekiq (7.3.2)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  pg (>= 1.1, < 2.0)
  puma
  rails (~> 7.2.1)
  rspec-rails (~> 7.0)
  rubocop
  sidekiq (~> 7.3)

RUBY VERSION
   ruby 3.3.5p100

BUNDLED WITH
   2.5.16
""",
    # --- PHP
    "php/composer.json": """{
  "name": "example/site",
  "license": "GPL-3.0-or-later",
  "require": {"php": ">=8.2", "ext-json": "*", "laravel/framework": "^11.0", "guzzlehttp/guzzle": "7.9.2"},
  "require-dev": {"phpunit/phpunit": "^11.4"}
}
""",
    "php/composer.lock": """{
  "packages": [
    {"name": "laravel/framework", "version": "v11.27.2", "license": ["MIT"]},
    {"name": "guzzlehttp/guzzle", "version": "7.9.2", "license": ["MIT"]},
    {"name": "symfony/console", "version": "v7.1.5", "license": ["MIT"]}
  ],
  "packages-dev": [
    {"name": "phpunit/phpunit", "version": "11.4.1", "license": ["BSD-3-Clause"]}
  ]
}
""",
    # --- .NET
    "dotnet/Directory.Packages.props": """<Project>
  <ItemGroup>
    <PackageVersion Include="Microsoft.EntityFrameworkCore" Version="8.0.10" />
  </ItemGroup>
</Project>
""",
    "dotnet/Api/Api.csproj": """<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Serilog" Version="4.0.2" />
    <PackageReference Include="Npgsql">
      <Version>8.0.5</Version>
    </PackageReference>
    <PackageReference Include="Microsoft.EntityFrameworkCore" />
    <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="all" />
  </ItemGroup>
</Project>
""",
    "dotnet/Api/packages.lock.json": """{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "Serilog": {"type": "Direct", "requested": "[4.0.2, )", "resolved": "4.0.2"},
      "Npgsql": {"type": "Direct", "requested": "[8.0.5, )", "resolved": "8.0.5"},
      "Microsoft.EntityFrameworkCore": {"type": "Direct", "requested": "[8.0.10, )", "resolved": "8.0.10"},
      "StyleCop.Analyzers": {"type": "Direct", "requested": "[1.1.118, )", "resolved": "1.1.118"},
      "Microsoft.Extensions.Logging": {"type": "Transitive", "resolved": "8.0.1"}
    }
  }
}
""",
    "dotnet/Api/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
    # --- infrastructure
    "Dockerfile": """ARG PY=3.12
FROM python:${PY}-slim AS build
RUN pip install --no-cache-dir build
FROM build AS test
FROM --platform=linux/amd64 gcr.io/distroless/python3-debian12@sha256:abc123
COPY --from=build /src /app
""",
    "docker-compose.yml": """services:
  web:
    build: ./web
  db:
    image: postgres:16.4
  cache:
    image: redis:7
    build:
      context: ./cache
""",
    ".github/workflows/ci.yml": """name: CI
on:
  push:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5.2.0
      - run: pytest
  release:
    uses: example/workflows/.github/workflows/release.yml@main
""",
    ".gitlab-ci.yml": """image: python:3.12
stages: [test, deploy]
.base:
  tags: [docker]
unit:
  stage: test
  script: [pytest]
deploy:
  stage: deploy
  image: alpine:3.20
  script: [./deploy.sh]
""",
    ".circleci/config.yml": """version: 2.1
orbs:
  python: circleci/python@2.1.1
jobs:
  build:
    docker:
      - image: cimg/python:3.12
    steps: [checkout]
workflows:
  main:
    jobs: [build]
""",
    "Jenkinsfile": """pipeline {
  agent { docker { image 'maven:3.9-eclipse-temurin-21' } }
  stages {
    stage('Build') { steps { sh 'mvn -B package' } }
    stage('Test') { steps { sh 'mvn test' } }
  }
}
""",
    "azure-pipelines.yml": """pool:
  vmImage: ubuntu-latest
stages:
  - stage: Build
    jobs:
      - job: compile
        steps:
          - task: UseDotNet@2
          - task: DotNetCoreCLI@2
""",
    "k8s/app.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: example/migrate:1.0
      containers:
        - name: web
          image: example/web:2.3.1
---
apiVersion: v1
kind: Service
metadata:
  name: web
""",
    "charts/web/Chart.yaml": """apiVersion: v2
name: web
version: 0.3.0
appVersion: "2.3.1"
dependencies:
  - name: postgresql
    version: 15.5.38
    repository: https://charts.bitnami.com/bitnami
""",
    "charts/web/values.yaml": "replicaCount: 2\n",
    "charts/web/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    ".python-version": "3.12.6\n",
    ".nvmrc": "v20.18.0\n",
    # --- languages: source, shebang, vendored, generated, .gitattributes overrides
    "app/main.py": "import flask\n\napp = flask.Flask(__name__)\n",
    "scripts/run": "#!/usr/bin/env python3\nprint('run')\n",
    "vendor/lib.js": "var vendored = 1;\n",
    "generated/models.py": "# generated\nX = 1\n",
    "tools/check.inc": "<?php echo 1; ?>\n",
    ".gitattributes": "generated/** linguist-generated\n*.inc linguist-language=PHP\nweb/dist/** -linguist-generated\n",
    # --- licenses and documentation
    "LICENSE": MIT_TEXT,
    "README.md": """# Polyglot

An example.

## Install

```sh
# not a heading
pip install polyglot
```

Usage
-----

Run it.
""",
    "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n\n- First.\n",
    "CONTRIBUTING.rst": "Contributing\n============\n\nSetup\n-----\n\nText.\n",
    "docs/guide.md": "# Guide\n\n### Deep\n",
}


def dep(ecosystem, name, constraint, version, scope, manifest, direct=True, license=None):
    return {
        "ecosystem": ecosystem, "name": name, "constraint": constraint, "version": version,
        "scope": scope, "manifest": manifest, "license": license, "direct": direct,
    }


EXPECTED_DEPENDENCIES = [
    # requirements files
    dep("pypi", "requests", "<3,>=2.31", "2.32.3", "runtime", "requirements.txt"),
    dep("pypi", "flask", "==3.0.3", "3.0.3", "runtime", "requirements.txt"),
    dep("pypi", "editable-lib", "git+https://github.com/example/editable-lib.git@v1.2#egg=editable-lib", None, "runtime", "requirements.txt"),
    dep("pypi", "vcs-lib", "git+https://github.com/example/vcs-lib.git@main#egg=vcs-lib", None, "runtime", "requirements.txt"),
    dep("pypi", "click", ">=8.1", "8.1.7", "runtime", "requirements/base.txt"),
    dep("pypi", "pytest", ">=8", None, "dev", "requirements-dev.txt"),
    # pyproject (PEP 621, PEP 735, build) + uv.lock
    dep("pypi", "httpx", ">=0.27", "0.27.2", "runtime", "pyproject.toml"),
    dep("pypi", "pydantic", "<3,>=2", "2.9.2", "runtime", "pyproject.toml"),
    dep("pypi", "psycopg", ">=3.1", None, "optional", "pyproject.toml"),
    dep("pypi", "pytest-cov", ">=5", None, "test", "pyproject.toml"),
    dep("pypi", "ruff", "==0.6.9", "0.6.9", "dev", "pyproject.toml"),
    dep("pypi", "mypy", ">=1.11", None, "dev", "pyproject.toml"),
    dep("pypi", "hatchling", ">=1.24", None, "build", "pyproject.toml"),
    dep("pypi", "anyio", None, "4.6.0", "runtime", "uv.lock", direct=False),
    # poetry + poetry.lock
    dep("pypi", "celery", "^5.4", "5.4.0", "runtime", "services/worker/pyproject.toml"),
    dep("pypi", "boto3", "1.35.0", "1.35.0", "runtime", "services/worker/pyproject.toml"),
    dep("pypi", "black", "^24.8", "24.8.0", "dev", "services/worker/pyproject.toml"),
    dep("pypi", "pytest-mock", "*", "3.14.0", "test", "services/worker/pyproject.toml"),
    dep("pypi", "kombu", None, "5.4.2", "runtime", "services/worker/poetry.lock", direct=False),
    # setup.cfg + Pipfile + Pipfile.lock
    dep("pypi", "six", ">=1.16", None, "runtime", "services/legacy/setup.cfg"),
    dep("pypi", "attrs", "==23.2.0", "23.2.0", "runtime", "services/legacy/setup.cfg"),
    dep("pypi", "setuptools_scm", ">=8", None, "build", "services/legacy/setup.cfg"),
    dep("pypi", "nose2", None, None, "test", "services/legacy/setup.cfg"),
    dep("pypi", "sphinx", ">=7", None, "dev", "services/legacy/setup.cfg"),
    dep("pypi", "requests", "*", "2.32.3", "runtime", "services/legacy/Pipfile"),
    dep("pypi", "django", ">=4.2,<5.0", "4.2.16", "runtime", "services/legacy/Pipfile"),
    dep("pypi", "pytest-django", "==4.9.0", "4.9.0", "dev", "services/legacy/Pipfile"),
    dep("pypi", "sqlparse", None, "0.5.1", "runtime", "services/legacy/Pipfile.lock", direct=False),
    # pdm
    dep("pypi", "rich", ">=13", "13.9.2", "runtime", "services/pdmapp/pyproject.toml"),
    dep("pypi", "pytest", ">=8", "8.3.3", "test", "services/pdmapp/pyproject.toml"),
    dep("pypi", "markdown-it-py", None, "3.0.0", "runtime", "services/pdmapp/pdm.lock", direct=False),
    # npm + package-lock.json
    dep("npm", "react", "^18.3.1", "18.3.1", "runtime", "web/package.json", license="MIT"),
    dep("npm", "next", "14.2.15", "14.2.15", "runtime", "web/package.json", license="MIT"),
    dep("npm", "typescript", "~5.6.2", "5.6.3", "dev", "web/package.json", license="Apache-2.0"),
    dep("npm", "eslint", "^9.12.0", "9.12.0", "dev", "web/package.json", license="MIT"),
    dep("npm", "react-dom", "^18", "18.3.1", "peer", "web/package.json", license="MIT"),
    dep("npm", "fsevents", "^2.3.3", "2.3.3", "optional", "web/package.json", license="MIT"),
    dep("npm", "loose-envify", None, "1.4.0", "runtime", "web/package-lock.json", direct=False, license="MIT"),
    dep("npm", "postcss", None, "8.4.31", "runtime", "web/package-lock.json", direct=False, license="MIT"),
    # yarn classic
    dep("npm", "express", "^4.21.0", "4.21.1", "runtime", "app2/package.json"),
    dep("npm", "@types/node", "^22.0.0", "22.7.5", "runtime", "app2/package.json"),
    dep("npm", "accepts", None, "1.3.8", "runtime", "app2/yarn.lock", direct=False),
    # pnpm
    dep("npm", "vue", "^3.5.0", "3.5.12", "runtime", "app3/package.json"),
    dep("npm", "vitest", "^2.1.0", "2.1.3", "dev", "app3/package.json"),
    dep("npm", "@vue/shared", None, "3.5.12", "runtime", "app3/pnpm-lock.yaml", direct=False),
    # Maven (properties, parent properties, dependency management, project.version)
    dep("maven", "org.springframework:spring-webmvc", "6.1.14", "6.1.14", "runtime", "java/app/pom.xml"),
    dep("maven", "com.fasterxml.jackson.core:jackson-databind", "2.18.0", "2.18.0", "runtime", "java/app/pom.xml"),
    dep("maven", "org.postgresql:postgresql", "42.7.4", "42.7.4", "runtime", "java/app/pom.xml"),
    dep("maven", "jakarta.servlet:jakarta.servlet-api", "6.1.0", "6.1.0", "provided", "java/app/pom.xml"),
    dep("maven", "org.junit.jupiter:junit-jupiter", "5.11.2", "5.11.2", "test", "java/app/pom.xml"),
    dep("maven", "com.example:shared", "2.0.0", "2.0.0", "runtime", "java/app/pom.xml"),
    dep("maven", "org.apache.maven.plugins:maven-surefire-plugin", "3.5.1", "3.5.1", "build", "java/app/pom.xml"),
    # Gradle Kotlin DSL + version catalog
    dep("maven", "org.springframework.boot:org.springframework.boot.gradle.plugin", "3.3.4", "3.3.4", "build", "gradle-app/build.gradle.kts"),
    dep("maven", "org.springframework.boot:spring-boot-starter-web", None, None, "runtime", "gradle-app/build.gradle.kts"),
    dep("maven", "com.google.guava:guava", "33.3.1-jre", "33.3.1-jre", "runtime", "gradle-app/build.gradle.kts"),
    dep("maven", "com.h2database:h2", "2.3.232", "2.3.232", "runtime", "gradle-app/build.gradle.kts"),
    dep("maven", "org.junit.jupiter:junit-jupiter", "5.11.2", "5.11.2", "test", "gradle-app/build.gradle.kts"),
    dep("maven", "org.projectlombok:lombok", "1.18.34", "1.18.34", "provided", "gradle-app/build.gradle.kts"),
    dep("maven", "com.google.guava:guava", "33.3.1-jre", "33.3.1-jre", "runtime", "gradle-app/gradle/libs.versions.toml"),
    dep("maven", "org.junit.jupiter:junit-jupiter", "5.11.2", "5.11.2", "runtime", "gradle-app/gradle/libs.versions.toml"),
    # Gradle Groovy DSL
    dep("maven", "org.apache.commons:commons-lang3", "3.17.0", "3.17.0", "runtime", "legacy-gradle/build.gradle"),
    dep("maven", "junit:junit", "4.13.2", "4.13.2", "test", "legacy-gradle/build.gradle"),
    dep("maven", "org.mapstruct:mapstruct-processor", "1.6.2", "1.6.2", "build", "legacy-gradle/build.gradle"),
    # Go (indirect requirements are not direct)
    dep("golang", "github.com/gin-gonic/gin", "v1.10.0", "v1.10.0", "runtime", "go/go.mod"),
    dep("golang", "github.com/jackc/pgx/v5", "v5.7.1", "v5.7.1", "runtime", "go/go.mod"),
    dep("golang", "golang.org/x/net", "v0.30.0", "v0.30.0", "runtime", "go/go.mod", direct=False),
    dep("golang", "github.com/stretchr/testify", "v1.9.0", "v1.9.0", "runtime", "go/go.mod"),
    # Rust
    dep("cargo", "serde", "1.0.210", "1.0.210", "runtime", "rust/Cargo.toml"),
    dep("cargo", "tokio", "1", "1.40.0", "optional", "rust/Cargo.toml"),
    dep("cargo", "log", "0.4", "0.4.22", "runtime", "rust/Cargo.toml"),
    dep("cargo", "local-util", "path:../util", None, "runtime", "rust/Cargo.toml"),
    dep("cargo", "criterion", "0.5", "0.5.1", "dev", "rust/Cargo.toml"),
    dep("cargo", "cc", "=1.1.30", "1.1.30", "build", "rust/Cargo.toml"),
    dep("cargo", "itoa", None, "1.0.11", "runtime", "rust/Cargo.lock", direct=False),
    # Ruby
    dep("gem", "rails", "~> 7.2.1", "7.2.1", "runtime", "ruby/Gemfile"),
    dep("gem", "pg", ">= 1.1, < 2.0", "1.5.8", "runtime", "ruby/Gemfile"),
    dep("gem", "puma", None, "6.4.3", "runtime", "ruby/Gemfile"),
    dep("gem", "rspec-rails", "~> 7.0", "7.0.1", "test", "ruby/Gemfile"),
    dep("gem", "rubocop", None, "1.66.1", "dev", "ruby/Gemfile"),
    dep("gem", "sidekiq", "~> 7.3", "7.3.2", "runtime", "ruby/Gemfile"),
    dep("gem", "actionpack", None, "7.2.1", "runtime", "ruby/Gemfile.lock", direct=False),
    dep("gem", "nokogiri", None, "1.16.7", "runtime", "ruby/Gemfile.lock", direct=False),
    # PHP
    dep("composer", "laravel/framework", "^11.0", "v11.27.2", "runtime", "php/composer.json", license="MIT"),
    dep("composer", "guzzlehttp/guzzle", "7.9.2", "7.9.2", "runtime", "php/composer.json", license="MIT"),
    dep("composer", "phpunit/phpunit", "^11.4", "11.4.1", "dev", "php/composer.json", license="BSD-3-Clause"),
    dep("composer", "symfony/console", None, "v7.1.5", "runtime", "php/composer.lock", direct=False, license="MIT"),
    # .NET (central package management, PrivateAssets)
    dep("nuget", "Serilog", "4.0.2", "4.0.2", "runtime", "dotnet/Api/Api.csproj"),
    dep("nuget", "Npgsql", "8.0.5", "8.0.5", "runtime", "dotnet/Api/Api.csproj"),
    dep("nuget", "Microsoft.EntityFrameworkCore", "8.0.10", "8.0.10", "runtime", "dotnet/Api/Api.csproj"),
    dep("nuget", "StyleCop.Analyzers", "1.1.118", "1.1.118", "build", "dotnet/Api/Api.csproj"),
    dep("nuget", "Microsoft.Extensions.Logging", None, "8.0.1", "runtime", "dotnet/Api/packages.lock.json", direct=False),
]

EXPECTED_RUNTIMES = {
    ("python", ">=3.11", "pyproject.toml"),
    ("python", "^3.11", "services/worker/pyproject.toml"),
    ("python", ">=3.9", "services/legacy/setup.cfg"),
    ("python", "3.11", "services/legacy/Pipfile"),
    ("node", ">=20", "web/package.json"),
    ("pnpm", "9.12.0", "web/package.json"),
    ("java", "21", "java/pom.xml"),
    ("java", "21", "java/app/pom.xml"),
    ("go", "1.23", "go/go.mod"),
    ("go-toolchain", "1.23.2", "go/go.mod"),
    ("rust", "1.80", "rust/Cargo.toml"),
    ("rust", "1.81.0", "rust/rust-toolchain.toml"),
    ("ruby", "3.3.5", "ruby/Gemfile"),
    ("ruby", "3.3.5p100", "ruby/Gemfile.lock"),
    ("php", ">=8.2", "php/composer.json"),
    ("dotnet", "net8.0", "dotnet/Api/Api.csproj"),
    ("python", "3.12.6", ".python-version"),
    ("node", "20.18.0", ".nvmrc"),
}

#: language -> the paths that count for it (bytes are the files' lengths).
EXPECTED_LANGUAGE_FILES = {
    "Python": ["app/main.py", "scripts/run"],
    "TypeScript": ["web/src/index.tsx"],
    "JavaScript": ["web/dist/bundle.js"],
    "Java": ["java/app/src/main/java/App.java"],
    "Go": ["go/main.go"],
    "Rust": ["rust/src/lib.rs"],
    "C#": ["dotnet/Api/Program.cs"],
    "Kotlin": ["gradle-app/build.gradle.kts"],
    "Groovy": ["legacy-gradle/build.gradle", "Jenkinsfile"],
    "Ruby": ["ruby/Gemfile"],
    "Dockerfile": ["Dockerfile"],
    "PHP": ["tools/check.inc"],
}

EXPECTED_FRAMEWORKS = {
    ("Flask", "framework"), ("Django", "framework"), ("Celery", "framework"), ("Pydantic", "framework"),
    ("React", "framework"), ("Next.js", "framework"), ("Express", "framework"), ("Vue.js", "framework"),
    ("Spring Framework", "framework"), ("Spring Boot", "framework"), ("Gin", "framework"), ("Tokio", "framework"),
    ("Serde", "framework"), ("Ruby on Rails", "framework"), ("Laravel", "framework"),
    ("Entity Framework Core", "framework"),
    ("PostgreSQL", "database"),
    ("Maven", "build-tool"), ("Gradle", "build-tool"), ("npm", "build-tool"), ("Yarn", "build-tool"),
    ("pnpm", "build-tool"), ("Poetry", "build-tool"), ("uv", "build-tool"), ("PDM", "build-tool"),
    ("Pipenv", "build-tool"), ("Hatch", "build-tool"), ("Cargo", "build-tool"), ("Go Modules", "build-tool"),
    ("Bundler", "build-tool"), ("Composer", "build-tool"), ("MSBuild", "build-tool"),
    ("TypeScript compiler", "build-tool"),
    ("pytest", "test-framework"), ("JUnit", "test-framework"), ("Testify", "test-framework"),
    ("RSpec", "test-framework"), ("PHPUnit", "test-framework"), ("Vitest", "test-framework"),
    ("Ruff", "linter"), ("mypy", "linter"), ("ESLint", "linter"), ("RuboCop", "linter"),
    ("Black", "formatter"),
}
