import { readmeExampleIn } from '@ferrite/testkit';
import { createFerrite } from '@ferrite/core';
import { memoryTransport } from '@ferrite/emulator';
import { semantic } from '@ferrite/semantic';
import { vector } from '@ferrite/vector';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { FakeListChatModel, SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { FerriteSemanticCache, FerriteVectorStore } from './index.js';


it('the README RAG example runs as shown and is the same code', async () => {
  const printed: unknown[] = [];
  const console = { log: (value: unknown) => void printed.push(value) };

  // README example: begin
  const ferrite = createFerrite({
    transport: memoryTransport(), // or ioredisTransport(new Redis(...)), nodeRedisTransport(...)
    plugins: [vector(), semantic()],
  });

  // Any LangChain embeddings work (OpenAIEmbeddings, …); these fake ones need no API key.
  const embeddings = new SyntheticEmbeddings({ vectorSize: 16 });
  const store = await FerriteVectorStore.fromDocuments(
    [
      new Document({ id: 'pw', pageContent: 'Reset a password from Settings, then Security.', metadata: { team: 'support' } }),
      new Document({ id: '2fa', pageContent: 'Two-factor codes come from your authenticator app.', metadata: { team: 'support' } }),
      new Document({ id: 'pay', pageContent: 'Payroll runs on the last Friday of the month.', metadata: { team: 'hr' } }),
    ],
    embeddings,
    { client: ferrite, indexName: 'handbook' },
  );
  const retriever = store.asRetriever({ k: 2, filter: (f) => f.eq('team', 'support') });

  // Any chat model works (ChatOpenAI, …); the cache answers paraphrases for one hour.
  const cache = new FerriteSemanticCache(ferrite, { ttl: 3600 });
  const model = new FakeListChatModel({ responses: ['Go to Settings, then Security.', 'A second answer'], cache });

  const prompt = ChatPromptTemplate.fromTemplate('Answer from this context only:\n{context}\n\nQuestion: {question}');
  const chain = RunnableSequence.from([
    {
      context: retriever.pipe((docs: DocumentInterface[]) => docs.map((doc) => doc.pageContent).join('\n')),
      question: new RunnablePassthrough(),
    },
    prompt,
    model,
    new StringOutputParser(),
  ]);

  console.log(await chain.invoke('How do I reset my password?')); // Go to Settings, then Security.
  console.log(await chain.invoke('how do I reset my password')); // Go to Settings, then Security. (from Ferrite)
  const [payroll] = await store.similaritySearch('When is payday?', 1, (f) => f.eq('team', 'hr'));
  console.log(payroll?.id); // pay
  await ferrite.close();
  // README example: end

  expect(printed).toEqual(['Go to Settings, then Security.', 'Go to Settings, then Security.', 'pay']);
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(readmeExampleIn(import.meta.url));
});
