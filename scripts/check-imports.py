#!/usr/bin/env python3
"""Package.swift declares exactly the imports the code makes (issue 16): for every target,
the modules its files import (platform modules aside) are its declared dependencies, no
more, no fewer. A dependency that no file imports hides which way the code depends; an
import that is not declared works only by accident of another target's edges.
Usage: scripts/check-imports.py   (exit 1 and a line per target that differs)"""
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
package = open(os.path.join(root, 'Package.swift'), encoding='utf-8').read()
platform = {'Foundation', 'FoundationEssentials', 'FoundationNetworking', 'Glibc', 'Darwin', 'Dispatch',
            'Synchronization', 'Testing', 'XCTest', 'PackageDescription'}
mismatches = 0
for m in re.finditer(r'\.(target|executableTarget|testTarget)\(name: "(\w+)"(?:, dependencies: \[(.*?)\])?', package, re.S):
    kind, name, dependencies = m.group(1), m.group(2), m.group(3) or ''
    # `.product(name: "Mustache", package: "swift-mustache")` declares the module Mustache.
    declared = set(re.findall(r'"(\w+)"', re.sub(r'package: "[\w-]+"', '', dependencies)))
    folder = os.path.join(root, 'Tests' if kind == 'testTarget' else 'Sources', name)
    imported = set()
    for directory, _, files in os.walk(folder):
        for file in files:
            if file.endswith('.swift'):
                for line in open(os.path.join(directory, file), encoding='utf-8'):
                    i = re.match(r'\s*(?:@testable\s+|@preconcurrency\s+)*import\s+(\w+)', line)
                    if i and i.group(1) not in platform:
                        imported.add(i.group(1))
    if imported != declared:
        mismatches += 1
        print(f'{name}: imported but not declared {sorted(imported - declared)}, declared but not imported {sorted(declared - imported)}')
print('check-imports: every target declares exactly what it imports' if not mismatches else
      f'check-imports: FAILED for {mismatches} target(s)')
sys.exit(1 if mismatches else 0)
