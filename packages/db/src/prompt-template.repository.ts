import type { PrismaClient } from './client';
import type { PromptTemplate } from './generated/prisma/client';

/**
 * A tenant's prompt templates (`prompt_templates`, key tenant + id) and the features each one
 * injects. Validation of the text (placeholders vs declared features) belongs to the caller.
 */
export interface PromptTemplateRow {
  tenantId: string;
  id: string;
  template: string;
  features: string[];
  updatedAt: Date;
}

export type PutPromptTemplateInput = Omit<PromptTemplateRow, 'updatedAt'>;

export async function putPromptTemplate(
  prisma: PrismaClient,
  input: PutPromptTemplateInput,
): Promise<PromptTemplateRow> {
  const { tenantId, id, template, features } = input;
  const row = await prisma.promptTemplate.upsert({
    where: { tenantId_id: { tenantId, id } },
    create: { tenantId, id, template, features },
    update: { template, features },
  });
  return toPromptTemplateRow(row);
}

export async function getPromptTemplate(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
): Promise<PromptTemplateRow | null> {
  const row = await prisma.promptTemplate.findUnique({ where: { tenantId_id: { tenantId, id } } });
  return row ? toPromptTemplateRow(row) : null;
}

/** False when the tenant has no such template. */
export async function deletePromptTemplate(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
): Promise<boolean> {
  const { count } = await prisma.promptTemplate.deleteMany({ where: { tenantId, id } });
  return count > 0;
}

function toPromptTemplateRow(row: PromptTemplate): PromptTemplateRow {
  return { ...row };
}
