#!/usr/bin/env node
import { runServerCli } from '../dist/server/main.js';
runServerCli(process.argv.slice(2));
