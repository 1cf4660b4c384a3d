package dev.chameleon.cli;

/** How results are printed: a table for people, JSON or YAML for programs. */
enum OutputFormat { table, json, yaml }
