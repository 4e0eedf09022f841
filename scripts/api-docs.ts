/**
 * docs/API.md from the docs comments of what the package exports (lib/index.ts): each construct
 * with its public members, each props interface with every prop's type, text and `@default`.
 * `npm run api-docs` writes it; a test (test/scripts/api-docs.test.ts) fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
export const API_DOCS_PATH = path.join(ROOT, 'docs', 'API.md');

interface Member {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly doc: string;
  readonly defaultValue: string | undefined;
}

interface Entry {
  readonly kind: 'class' | 'interface';
  readonly name: string;
  readonly file: string;
  readonly doc: string;
  readonly heritage: string;
  readonly members: readonly Member[];
}

/** The exported classes and interfaces of the entry point, in the order it exports them. */
export function apiEntries(entry = path.join(ROOT, 'lib', 'index.ts')): Entry[] {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const entries: Entry[] = [];
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.[0];
    if (!declaration || !(ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration))) continue;
    const members = declaration.members.flatMap((member): Member[] => {
      if (!member.name || !(ts.isPropertySignature(member) || ts.isPropertyDeclaration(member) || ts.isMethodDeclaration(member))) return [];
      const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
      // Private and protected members are not the API; an override (an error's `name`) is its base class's.
      if (
        modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.OverrideKeyword)
      )
        return [];
      const name = member.name.getText();
      const memberSymbol = checker.getSymbolAtLocation(member.name);
      const type = ts.isMethodDeclaration(member) ? signatureText(member) : (member.type?.getText() ?? checker.typeToString(checker.getTypeAtLocation(member)));
      return [
        {
          name,
          type: oneLine(type),
          optional: member.questionToken !== undefined,
          doc: memberSymbol ? oneLine(ts.displayPartsToString(memberSymbol.getDocumentationComment(checker))) : '',
          defaultValue:
            memberSymbol
              ?.getJsDocTags(checker)
              .find((tag) => tag.name === 'default')
              ?.text?.map((part) => part.text)
              .join('') ?? undefined,
        },
      ];
    });
    entries.push({
      kind: ts.isClassDeclaration(declaration) ? 'class' : 'interface',
      name: symbol.getName(),
      file: path.relative(ROOT, declaration.getSourceFile().fileName),
      doc: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim(),
      heritage: (declaration.heritageClauses ?? []).map((clause) => clause.getText()).join(' '),
      members,
    });
  }
  return entries;
}

function signatureText(method: ts.MethodDeclaration): string {
  const parameters = method.parameters.map((p) => p.getText()).join(', ');
  return `(${parameters})${method.type ? `: ${method.type.getText()}` : ''}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The page: one section per export, props as a table (prop, type, default, what it is). */
export function renderApiDocs(entries: readonly Entry[]): string {
  const lines = [
    '# API reference',
    '',
    'Generated from the docs comments of `lib/` by `npm run api-docs` (scripts/api-docs.ts); a test fails when it is stale.',
    "Import from the package's entry point: `import { RedisFailover } from 'redis-failover'`.",
    '',
    ...entries.map((e) => `- [${e.name}](#${e.name.toLowerCase()})`),
  ];
  for (const entry of entries) {
    lines.push('', `## ${entry.name}`, '', `${entry.kind} in \`${entry.file}\`${entry.heritage ? ` (${entry.heritage})` : ''}`);
    if (entry.doc) lines.push('', entry.doc);
    if (entry.members.length === 0) continue;
    if (entry.kind === 'interface') {
      lines.push('', '| prop | type | default | |', '|---|---|---|---|');
      for (const m of entry.members)
        lines.push(
          `| \`${m.name}\`${m.optional ? '' : ' (required)'} | \`${cell(m.type)}\` | ${m.defaultValue ? cell(oneLine(m.defaultValue)) : ''} | ${cell(m.doc)} |`,
        );
    } else {
      lines.push('', '| member | type | |', '|---|---|---|');
      for (const m of entry.members) lines.push(`| \`${m.name}\` | \`${cell(m.type)}\` | ${cell(m.doc)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(API_DOCS_PATH, renderApiDocs(apiEntries()));
  process.stderr.write(`# wrote ${path.relative(ROOT, API_DOCS_PATH)}\n`);
}
